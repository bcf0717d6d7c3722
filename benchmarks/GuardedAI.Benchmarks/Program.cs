using BenchmarkDotNet.Running;

if (args is ["conversations", var count, ..])
{
    await ConversationMemory.RunAsync(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
    return;
}
if (args is ["whatif", var records, ..])
{
    await GuardedAI.Benchmarks.WhatIfReplayBenchmarks.MeasureAsync(int.Parse(records, System.Globalization.CultureInfo.InvariantCulture));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
