// Package web holds small helpers for biplane handlers: form and JSON
// bodies, JSON and redirect responses, Basic and Bearer authentication,
// and cookies. Each is a few lines over the core's [biplane.Request] and
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
package web
