using BenchmarkDotNet.Running;
using GuardedAI.Benchmarks;

if (args is ["conversations", var count, ..])
{
    await ConversationMemory.RunAsync(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}
if (args is ["probe", ..])
{
    await Probe.RunAsync();
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
