namespace GuardedAI;

/// <summary>
/// A ledger that can tell it is not writing records right now (its file is locked, its disk is full). Its records
/// wait in memory meanwhile; <see cref="LedgerGatedCounterStore"/> makes the engine treat that as a store-down
/// condition, with its alert and the configured <see cref="StoreFailureMode"/>.
/// </summary>
public interface ILedgerAvailability
{
    /// <summary>Whether records are being written.</summary>
    bool IsAvailable { get; }

    /// <summary>Why not, when <see cref="IsAvailable"/> is false.</summary>
    string? UnavailableReason { get; }
}
