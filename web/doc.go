// Package web holds small helpers for biplane handlers: form, multipart
// and JSON bodies, JSON and redirect responses, Basic and Bearer
// authentication, and cookies. Each is a few lines over the core's [biplane.Request] and
// [biplane.Response], uses the standard library only, and imports neither
// net nor net/http, so that it builds with TinyGo.
//
//	var mux biplane.Mux
//	mux.Handle("POST /api/items", web.BearerAuth(checkToken, biplane.HandlerFunc(
//		func(r *biplane.Request) biplane.Response {
//			var item Item
//			if err := web.DecodeJSON(r, &item); err != nil {
//				return web.ErrorResponse(err) // 400, 413 or 415, saying why
//			}
//			return web.JSON(201, item)
//		})))
//
// Helpers that read a request refuse bad input with an [*Error], which
// carries the status to answer with; [ErrorResponse] turns it into a
// response. Request bodies are already complete and bounded by the core's
// [biplane.Limits].MaxBodyBytes when a handler runs; the helpers' own
// bounds only tighten that.
//
// [Multipart] is the exception: it decodes a multipart/form-data body
// (RFC 7578) as it arrives, for a route that takes its body with the
// core's Receiver API ([biplane.Receive]) rather than buffered, so that
// an upload may be larger than RAM. The route makes one with
// [NewMultipart] on the request's head; its [biplane.Receiver] passes
// each piece its Write is given to [Multipart.Write], which hands each
// part's content to the writer [MultipartOptions].OnPart chose for the
// part (a file, say) and passes back [biplane.ErrWouldBlock] when that
// writer cannot take more yet; Done calls [Multipart.Close], which says
// whether the body was whole. Its memory is one part header buffer (8
// KiB), allocated once.
package web
