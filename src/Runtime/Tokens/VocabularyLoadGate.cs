namespace GuardedAI;

/// <summary>
/// When the background vocabulary loads may start: once the process's first guarded call has settled, or once
/// <see cref="Deferral"/> has passed since a load was asked for, whichever comes first, or at once when somebody waits
/// for a vocabulary (<see cref="TokenCounterRegistry.LoadAsync"/>, a stream that must count its output exactly).
/// </summary>
/// <remarks>
/// A load running beside the first call made that call ~30 ms slower on this project's two-core machine (~200 against
/// ~170 ms from process start), though the call counts with the upper bound and never waits for the vocabulary: the
/// loader's page faults, allocations and type loads compete with the call's own, whatever the thread's priority (a
/// nice level of 19 changed nothing). So the loader waits for the first call. The deferral is a second, not less: a real
/// client's first call spends its first few hundred milliseconds on the processor, not waiting on its provider (OpenAI's
/// SDK against a loopback server: ~250–290 ms from process start here, HttpClient, sockets and JSON compiled just in
/// time), and with a deferral of 100 ms the load ran beside it: that first call took 26–38 ms longer than with a second
/// (docs/benchmarks-history.md, twenty-fifth round). Calls in the meantime reserve the upper bound, as they do while the
/// vocabulary loads, so a later load costs budgets some headroom for a moment, never an under-count.
/// </remarks>
internal sealed class VocabularyLoadGate(TimeSpan deferral)
{
    private readonly ManualResetEventSlim _opened = new(initialState: false);

    /// <summary>The gate of the process's vocabularies.</summary>
    public static VocabularyLoadGate Process { get; } = new(TimeSpan.FromSeconds(1));

    /// <summary>How long a load waits for the gate before it starts anyway.</summary>
    public TimeSpan Deferral { get; } = deferral;

    /// <summary>Whether the loads may start.</summary>
    public bool IsOpen => _opened.IsSet;

    /// <summary>Lets the loads start now. Cheap when already open (a read of the event's state): a settlement calls it every time.</summary>
    public void Open()
    {
        if (!_opened.IsSet) _opened.Set();
    }

    /// <summary>Blocks the loading thread until the gate opens or the deferral has passed.</summary>
    /// <returns>True when the gate was opened, false when the deferral ran out.</returns>
    public bool WaitToLoad() => _opened.Wait(Deferral);
}
