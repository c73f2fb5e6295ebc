-- wrk-spectrum.lua - wrk's latency distribution written as a percentile
-- spectrum in HdrHistogram's text format (the file `ringfetch bench
-- --percentiles` writes), for bench/load.py's L6 plot.  The file name comes
-- from the environment: WRK_SPECTRUM_OUT.
done = function(summary, latency, requests)
   local path = os.getenv("WRK_SPECTRUM_OUT") or "wrk-spectrum.txt"
   local f = assert(io.open(path, "w"))
   local total = summary.requests
   f:write(string.format("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                         "1/(1-Percentile)"))
   local p = 0
   while p < 100 do
      local v = latency:percentile(p)
      f:write(string.format("%12.3f %14.12f %10d %14.2f\n", v / 1000, p / 100,
                            math.floor(p / 100 * total), 1 / (1 - p / 100)))
      local ticks = 5 * 2 ^ (math.floor(math.log(100 / (100 - p)) / math.log(2)) + 1)
      p = p + 100 / ticks
      if 1 / (1 - p / 100) > 1e6 then break end
   end
   f:write(string.format("%12.3f %14.12f %10d\n", latency.max / 1000, 1.0, total))
   f:write(string.format("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", latency.mean / 1000,
                         latency.stdev / 1000))
   f:write(string.format("#[Max     = %12.3f, Total count    = %12d]\n", latency.max / 1000, total))
   f:close()
end
