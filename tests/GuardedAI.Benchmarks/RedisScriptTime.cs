using System.Globalization;
using GuardedAI.Redis;
using StackExchange.Redis;

namespace GuardedAI.Benchmarks;

/// <summary>
/// <c>redisscript [batch] [requests]</c> (a development aid): the reserve and settle scripts' own time per call, as the
/// server reports it (<c>usec_per_call</c> of <c>EVALSHA</c> over the calls in a request), for requests of
/// <c>batch</c> calls on the benchmark's six counters, each settlement finding the lease its reservation wrote. One
/// client sends them one after another, so no other request and none of this process's work is in the figure: what
/// changes it is the scripts and the machine's speed. Alternate two builds to compare scripts.
/// </summary>
internal static class RedisScriptTime
{
    public static void Run(int batch, int requests)
    {
        using var server = RedisServer.Start() ?? throw new InvalidOperationException("No redis-server: install it or set GUARDEDAI_BENCH_REDIS=host:port.");
        using var connection = RedisFigures.Admin(server);
        var endpoint = connection.GetServer(connection.GetEndPoints()[0]);
        var db = connection.GetDatabase();
        var scripts = new RedisScripts(testClockKey: null);
        var reserveSha = endpoint.ScriptLoad(scripts.Reserve);
        var settleSha = endpoint.ScriptLoad(RedisScripts.Settle);

        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        long[] ends = [hour.AddHours(2).ToUnixTimeSeconds(), hour.AddHours(-hour.Hour).AddDays(1).AddHours(1).ToUnixTimeSeconds()];
        var counters = Enumerable.Range(0, 6).Select(i => (RedisKey)$"{{st}}:c:{i}").ToArray();
        var lease = string.Concat(counters.Select(c => $"{((string)c!).Length} 100 {c}"));
        // One request's numbers as ScriptRequests writes them (RedisScripts documents the layouts).
        var reserveNumbers = new ScriptRequests.PackedNumbers(batch * (5 + 6 * 4));
        var settleNumbers = new ScriptRequests.PackedNumbers(batch * (2 + 6 * 4));
        for (var r = 0; r < batch; r++)
        {
            foreach (var n in new long[] { 600_000, 86_400_000, hour.ToUnixTimeMilliseconds(), hour.AddHours(1).ToUnixTimeMilliseconds(), 6 }) reserveNumbers.Add(n);
            settleNumbers.Add(7_200_000);
            settleNumbers.Add(6);
            for (var i = 0; i < 6; i++)
            {
                foreach (var n in new long[] { i + 1, 100, 4_000_000_000_000_000_000, -ends[i % 2] }) reserveNumbers.Add(n);
                foreach (var n in new long[] { i + 1, 90, -ends[i % 2], 100 }) settleNumbers.Add(n);
            }
        }
        RedisValue[] reserveValues = [6, reserveNumbers.Bytes, .. Enumerable.Repeat((RedisValue)lease, batch)];
        RedisValue[] settleValues = [6, settleNumbers.Bytes, .. Enumerable.Repeat((RedisValue)lease, batch)];

        double Measure(Func<int, RedisResult> request)
        {
            endpoint.ConfigResetStatistics();
            for (var q = 0; q < requests; q++)
            {
                if (request(q).Resp2Type != ResultType.Array) throw new InvalidOperationException("A script refused its request.");
            }
            // usec_per_call is per request: each request holds batch calls.
            return RedisFigures.Field(RedisFigures.Info(endpoint, "commandstats")["cmdstat_evalsha"], "usec_per_call") / batch;
        }

        RedisKey Lease(int q, int r) => $"{{st}}:s:{q}:{r}";
        RedisKey Previous(int q, int r) => $"{{st}}:l:{q}:{r}";
        // Warm-up: counters made, the scripts compiled by the server.
        for (var round = 0; round < 2; round++)
        {
            var prefix = round == 0 ? 1_000_000 : 0;
            var reserve = Measure(q => db.ScriptEvaluate(reserveSha, [(RedisKey)"{st}:held", .. counters, .. Enumerable.Range(0, batch).Select(r => Lease(prefix + q, r))], reserveValues));
            var settle = Measure(q => db.ScriptEvaluate(settleSha, [(RedisKey)"{st}:held", (RedisKey)"{st}:leases", .. counters,
                .. Enumerable.Range(0, batch).SelectMany(r => new[] { Lease(prefix + q, r), Previous(prefix + q, r) })], settleValues));
            if (round == 1)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"batch {batch}, {requests:#,0} requests: reserve {reserve:0.00} µs, settle {settle:0.00} µs a call; a pair {reserve + settle:0.00} µs of script"));
            }
        }
    }
}
