namespace GuardedAI.Tests;

/// <summary>Host pressure: sampled on the engine's clock, off the call path; throttles or denies naming the resource.</summary>
public class HostPressureTests
{
    private sealed class ScriptedProbe : IHostResourceProbe
    {
        public HostResourceSample Next { get; set; }
        public int Samples;
        public HostResourceSample Sample()
        {
            Interlocked.Increment(ref Samples);
            return Next;
        }
    }

    private static readonly BudgetPolicy Policy = BudgetPolicy.Create("host").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1000).Build();

    private static (BudgetEngine Engine, FakeTimeProvider Clock, ScriptedProbe Probe) Create(HostPressureAction action, TimeSpan? maxWait = null)
    {
        var probe = new ScriptedProbe { Next = new HostResourceSample(10, 20, 30) };
        var (engine, clock, _) = TestEngine.Create(o =>
        {
            o.HostPressure.Enabled = true;
            o.HostPressure.Probe = probe;
            o.HostPressure.Action = action;
            o.HostPressure.ThrottleInterval = TimeSpan.FromMilliseconds(200);
            o.HostPressure.MaxThrottleWait = maxWait ?? TimeSpan.FromSeconds(5);
        });
        return (engine, clock, probe);
    }

    [Fact]
    public async Task Above_a_threshold_new_calls_are_denied_naming_the_resource_and_flow_again_when_it_falls()
    {
        var (engine, clock, probe) = Create(HostPressureAction.Deny);
        Assert.True((await engine.TryReserveAsync(Policy, TestEngine.Estimate(1, 1))).IsAcquired);

        probe.Next = new HostResourceSample(50, 91.3, 40);
        clock.Advance(TimeSpan.FromSeconds(5)); // the sampling timer
        var denied = await engine.TryReserveAsync(Policy, TestEngine.Estimate(1, 1));

        Assert.False(denied.IsAcquired);
        Assert.Equal(DenialKind.HostPressure, denied.Denial!.Kind);
        Assert.Contains("memory use is 91.3%", denied.Denial.Reason);
        Assert.Contains("85%", denied.Denial.Reason);
        Assert.Equal(TimeSpan.FromSeconds(5), denied.RetryAfter);

        probe.Next = new HostResourceSample(50, 60, 40);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await engine.TryReserveAsync(Policy, TestEngine.Estimate(1, 1))).IsAcquired);
        Assert.Equal(2, probe.Samples); // sampled by the timer only, never by a call
    }

    [Theory]
    [InlineData(85, 10, 10, "CPU")]
    [InlineData(10, 10, 95, "disk")]
    public async Task Each_resource_has_its_own_default_threshold(double cpu, double memory, double disk, string resource)
    {
        var (engine, clock, probe) = Create(HostPressureAction.Deny);
        probe.Next = new HostResourceSample(cpu, memory, disk);
        clock.Advance(TimeSpan.FromSeconds(5));

        var denied = await engine.TryReserveAsync(Policy, TestEngine.Estimate(1, 1));

        Assert.Contains($"host's {resource} use", denied.Denial!.Reason);
    }

    [Fact]
    public async Task Throttling_spaces_new_calls_out_and_denies_one_that_would_wait_too_long()
    {
        var (engine, clock, probe) = Create(HostPressureAction.Throttle, maxWait: TimeSpan.FromMilliseconds(500));
        probe.Next = new HostResourceSample(95, 10, 10);
        clock.Advance(TimeSpan.FromSeconds(5));

        var first = engine.TryReserveAsync(Policy, TestEngine.Estimate(1, 1)).AsTask();
        var second = engine.TryReserveAsync(Policy, TestEngine.Estimate(1, 1)).AsTask();
        var third = engine.TryReserveAsync(Policy, TestEngine.Estimate(1, 1)).AsTask();
        var fourth = await engine.TryReserveAsync(Policy, TestEngine.Estimate(1, 1)); // would wait 600 ms > 500 ms

        Assert.True((await first).IsAcquired);
        Assert.False(second.IsCompleted);
        Assert.Equal(DenialKind.HostPressure, fourth.Denial!.Kind);
        Assert.Contains("throttled", fourth.Denial.Reason);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True((await second.WaitAsync(TimeSpan.FromSeconds(10))).IsAcquired);
        Assert.False(third.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True((await third.WaitAsync(TimeSpan.FromSeconds(10))).IsAcquired);
    }

    [Fact]
    public void The_machine_probe_reads_this_host()
    {
        var clock = new FakeTimeProvider(TestEngine.Start);
        var probe = new SystemResourceProbe(clock, Directory.GetCurrentDirectory());

        var first = probe.Sample();
        Thread.SpinWait(5_000_000); // burn some CPU so there is something to measure
        clock.Advance(TimeSpan.FromSeconds(1));
        var second = probe.Sample();

        Assert.InRange(second.MemoryPercent!.Value, 0.1, 100);
        Assert.InRange(second.DiskPercent!.Value, 0.0001, 100);
        Assert.InRange(second.CpuPercent!.Value, 0, 100);
        Assert.NotNull(first.MemoryPercent);
    }
}
