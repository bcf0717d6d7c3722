namespace GuardedAI.Tests;

/// <summary>
/// The background vocabulary load waits for the process's first settled call, or for its deferral, so that it does not
/// run beside that call. Each gate here is its own; the process's gate is opened by a settlement.
/// </summary>
public class VocabularyLoadGateTests
{
    [Fact]
    public async Task A_waiting_load_starts_when_the_gate_opens_not_when_the_deferral_runs_out()
    {
        // A deferral no test run reaches: the waiter can only return because the gate opened.
        var gate = new VocabularyLoadGate(TimeSpan.FromHours(1));
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loader = new Thread(() =>
        {
            waiting.SetResult();
            Assert.True(gate.WaitToLoad());
        }) { IsBackground = true };
        loader.Start();
        await waiting.Task;

        Assert.False(gate.IsOpen);
        gate.Open();
        Assert.True(gate.IsOpen);
        // Joined with a bound so a broken gate fails the test instead of hanging it.
        Assert.True(loader.Join(TimeSpan.FromMinutes(1)), "the load did not start when the gate opened");
        gate.Open(); // opening again changes nothing
        Assert.True(gate.WaitToLoad());
    }

    [Fact]
    public void A_load_starts_anyway_once_the_deferral_has_passed()
    {
        var gate = new VocabularyLoadGate(TimeSpan.Zero);
        Assert.False(gate.WaitToLoad());
        Assert.False(gate.IsOpen);
    }

    [Fact]
    public async Task A_settled_call_opens_the_gate_and_a_denied_one_does_not()
    {
        var (engine, _, _) = TestEngine.Create();
        // This assembly waits for the vocabularies before its tests (TokenizersLoaded), which opens the process's gate:
        // the engine gets a gate of its own, with a deferral no test run reaches.
        var gate = new VocabularyLoadGate(TimeSpan.FromHours(1));
        engine.Parts.VocabularyLoads = gate;
        var policy = BudgetPolicy.Create("gate").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).Build();

        var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10));
        Assert.False(gate.IsOpen);
        await lease.CommitAsync(new TokenUsage(10, 10));
        Assert.True(gate.IsOpen);

        var denied = new VocabularyLoadGate(TimeSpan.FromHours(1));
        engine.Parts.VocabularyLoads = denied;
        Assert.False((await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10))).IsAcquired);
        Assert.False(denied.IsOpen);
    }
}
