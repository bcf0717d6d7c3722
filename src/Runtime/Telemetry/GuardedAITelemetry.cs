namespace GuardedAI;

/// <summary>
/// The names under which GuardedAI publishes metrics and traces, for <c>AddMeter(...)</c> and <c>AddSource(...)</c>
/// in an OpenTelemetry setup. Instruments and attributes: <c>docs/observability.md</c>.
/// </summary>
public static class GuardedAITelemetry
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> name: <c>GuardedAI</c>.</summary>
    public const string MeterName = "GuardedAI";

    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> name: <c>GuardedAI</c>.</summary>
    public const string ActivitySourceName = "GuardedAI";
}
