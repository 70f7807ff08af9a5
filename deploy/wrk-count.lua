-- wrk script for deploy/rolling-restart.sh: counts responses whose status
-- is not 2xx and prints one line with the request count, that count and
-- wrk's socket errors:
--
--	wrk: requests=412345 non-2xx=0 socket-errors=0 (connect 0, read 0, write 0, timeout 0) p99=1.23ms
--
-- (wrk itself counts only statuses above 399 as errors.)

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	non2xx = 0 -- global: done() reads it from each thread with get
end

function response(status, headers, body)
	if status < 200 or status > 299 then
		non2xx = non2xx + 1
	end
end

function done(summary, latency, requests)
	local bad = 0
	for _, t in ipairs(threads) do
		bad = bad + t:get("non2xx")
	end
	local e = summary.errors
	io.write(string.format(
		"wrk: requests=%d non-2xx=%d socket-errors=%d (connect %d, read %d, write %d, timeout %d) p99=%.2fms\n",
		summary.requests, bad, e.connect + e.read + e.write + e.timeout,
		e.connect, e.read, e.write, e.timeout, latency:percentile(99) / 1000))
end
