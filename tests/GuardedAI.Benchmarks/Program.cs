using BenchmarkDotNet.Running;
using GuardedAI.Benchmarks;

// dotnet run -c Release --project tests/GuardedAI.Benchmarks -- --quick | --full | --smoke [--records N]
//   every comparison, then one JSON object on the last line (docs/benchmarks.md)
// … -- --filter '*Guard*'          BenchmarkDotNet's own switcher, for one benchmark class
// … -- conversations 1000000      memory of a million one-call conversations
// … -- month 10000000            the month report on SQLite; month-postgres 10000000: on PostgreSQL (GUARDEDAI_BENCH_POSTGRES or its own server)
// … -- redis 5                  the Redis figures alone: ceilings, 64 callers in one process and in 4, where the time goes
// … -- sqlite-alone batched|raw S one side of the batched comparison alone for S seconds, by blocks of 64,000 rows
// … -- sqlite 7 [N]             the SQLite append comparison alone, 7 rounds of the four, medians and ratios (and of each N rounds)
// … -- build 200 1000 5            build with and without the generator and analyzers (200 interfaces, 1,000 call sites, 5 runs)
// … -- buildprofile 200 1000 5     the same project compiled in process: our generator's and each analyzer's time beside the emit
// … -- generatorab A.dll B.dll 200 1000 30   two builds of the generator alternated on that project (a development aid)
// … -- coldstarts 5              process start → first guarded call against a bare client's: as built here, from the package, with OpenAI's SDK, published ReadyToRun
// … -- probe                      each step of a reservation timed on its own
// … -- probe contention           each step on one thread, then on two at once (what callers on two cores share)
// … -- probe pairs T S            reserve + commit on T threads for S seconds (to attach a profiler to)
// … -- guardloop cached|new|later|near|tenant|conversation|engine|redis 10 [alloc]   the guard's calls in a loop for 10 s, time and bytes per call, objects allocated
//                                                                    (count / count1: the counter alone on the 40,000 new messages / on one text)
// … -- countmemory 50000 3000      what the count caches keep alive after 3,000 distinct 50,000-character texts
// … -- whatif 10000000            a what-if replay of that many recorded calls (docs/rollout.md)
// … -- pgverify 1000000           verify of a PostgreSQL ledger of that many chained records (docs/benchmarks.md)
// … -- pgappend 50000 3           64 callers appending to a PostgreSQL ledger (batched, synchronous) beside raw COPY, 3 rounds
switch (args)
{
    case ["conversations", var count, ..]:
        await ConversationMemory.RunAsync(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case ["countmemory", var length, var texts, ..]:
        await CountCacheMemory.RunAsync(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture), int.Parse(texts, System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case ["whatif", var calls, ..]:
        await WhatIfReplayBenchmarks.MeasureAsync(int.Parse(calls, System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case ["pgverify", var chained, ..]:
        await PostgreSqlVerifyBenchmarks.MeasureAsync(int.Parse(chained, System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case ["interleaved", ..]:
        Console.WriteLine(await InterleavedRatio.MeasureAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 41,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5_000));
        return 0;
    case ["redisscript", ..]:
        RedisScriptTime.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 11,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2_000);
        return 0;
    case ["redis", ..]:
        await RedisProbe.RunAsync(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
        return 0;
    case ["sqlite-alone", var side, var seconds]:
        await SqliteAloneProbe.RunAsync(side, double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case ["sqlite", ..]:
        await SqliteProbe.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7,
            args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 0);
        return 0;
    case ["build", ..]:
        var sizes = args.Skip(1).Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Console.WriteLine(BuildOverhead.Run(sizes.ElementAtOrDefault(0) is > 0 and var i ? i : 200, sizes.ElementAtOrDefault(1) is > 0 and var c ? c : 1000, sizes.ElementAtOrDefault(2) is > 0 and var r ? r : 5));
        return 0;
    case ["buildprofile", ..]:
        var profile = args.Skip(1).Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        BuildProfile.Run(profile.ElementAtOrDefault(0) is > 0 and var pi ? pi : 200, profile.ElementAtOrDefault(1) is > 0 and var pc ? pc : 1000, profile.ElementAtOrDefault(2) is > 0 and var pr ? pr : 5);
        return 0;
    case ["generatorab", var pathA, var pathB, ..]:
        var ab = args.Skip(3).Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        BuildProfile.CompareGenerators(pathA, pathB, ab.ElementAtOrDefault(0) is > 0 and var ai ? ai : 200, ab.ElementAtOrDefault(1) is > 0 and var ac ? ac : 1000, ab.ElementAtOrDefault(2) is > 0 and var ar ? ar : 30);
        return 0;
    case ["guardloop", var what, ..]:
        await GuardLoop.RunAsync(what, args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10, args.Contains("alloc"));
        return 0;
    case ["pgappend", var appends, ..]:
        await PostgreSqlAppendProbe.RunAsync(int.Parse(appends, System.Globalization.CultureInfo.InvariantCulture), args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3);
        return 0;
    case ["probe", "pairs", var threads, var seconds]:
        await ContentionProbe.PairsAsync(int.Parse(threads, System.Globalization.CultureInfo.InvariantCulture), double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    case ["probe", "contention"]:
        await ContentionProbe.RunAsync();
        return 0;
    case ["probe", ..]:
        await Probe.RunAsync();
        return 0;
    case ["month", var count]:
        var month = await MonthReport.RunAsync(long.Parse(count, System.Globalization.CultureInfo.InvariantCulture), 5);
        Console.WriteLine(month);
        return 0;
    case ["month-postgres", var count]:
        var monthPostgres = await MonthReportPostgres.RunAsync(long.Parse(count, System.Globalization.CultureInfo.InvariantCulture), 5);
        Console.WriteLine(monthPostgres?.ToString() ?? "PostgreSQL is not installed and GUARDEDAI_BENCH_POSTGRES is not set");
        return 0;
    case ["coldstart", var mode]:
        return await ColdStart.ChildAsync(mode);
    case ["coldstarts", var times]:
        // Both ways a user runs an app: as built (JIT) and published ReadyToRun.
        var runs = int.Parse(times, System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"JIT:        {ColdStart.Run(runs)}");
        var (fromPackage, packageWhy) = ColdStartApp.BuildFromPackage();
        Console.WriteLine(fromPackage is null ? $"Package:    {packageWhy}" : $"Package:    {ColdStart.Run(runs, fromPackage)}");
        Console.WriteLine($"OpenAI SDK: {ColdStartOpenAi.Run(runs, fromPackage ?? typeof(ColdStart).Assembly.Location)}");
        var (app, why) = ColdStartApp.Publish();
        Console.WriteLine(app is null ? $"ReadyToRun: {why}" : $"ReadyToRun: {ColdStart.Run(runs, app)}");
        return 0;
    case [var flag, ..] when flag is "--quick" or "--full" or "--smoke":
        var records = args.SkipWhile(a => a != "--records").Skip(1).Select(long.Parse).FirstOrDefault(10_000_000);
        return await Runner.RunAsync(flag[2..], records);
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
}
