-- wrk script: send GET requests for the URL's path pipelined, `depth` at
-- a time on each connection (16 unless given: wrk ... -s pipeline.lua --
-- 8). wrk counts every response, so Requests/sec is requests, not
-- batches.
local depth = 16

function init(args)
   depth = tonumber(args[1]) or depth
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format("GET")
   end
   req = table.concat(r)
end

function request()
   return req
end
