-- wrk script: POST a body of `size` bytes on every request (1 MiB unless
-- given: wrk ... -s upload.lua -- 67108864), built once per thread.
function init(args)
   local size = tonumber(args[1]) or 1048576
   wrk.method = "POST"
   wrk.body = string.rep("x", size)
   wrk.headers["Content-Type"] = "application/octet-stream"
end
