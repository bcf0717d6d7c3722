using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Engine;

/// <summary>
/// Prices usage with the catalogue the engine was given, without changing it: a model the catalogue does not know
/// is priced with its default price (never free), logged once and alerted once.
/// </summary>
internal sealed class EnginePricing
{
    // Each model mapped to itself: a table over a value type (byte) is generic code compiled just in time when the engine is built.
    private readonly ConcurrentDictionary<string, string> _reportedUnknown = new(StringComparer.Ordinal);
    private readonly ThresholdMonitor _monitor;
    private readonly ILogger _logger;

    public EnginePricing(PriceCatalog catalog, ThresholdMonitor monitor, ILogger logger)
    {
        Catalog = catalog;
        Version = PriceTableVersion.Of(catalog);
        _monitor = monitor;
        _logger = logger;
    }

    public PriceCatalog Catalog { get; }

    /// <summary>The catalogue's version when the engine was built (recorded on every usage record).</summary>
    public string Version { get; }

    public decimal Cost(string? model, TokenUsage usage)
    {
        var resolved = Catalog.ResolveEntry(model);
        var lookup = resolved.Lookup;
        if (!lookup.IsKnown && _reportedUnknown.TryAdd(lookup.RequestedModel, lookup.RequestedModel))
        {
            EngineLog.UnknownModelPrice(_logger, lookup.RequestedModel, lookup.Price.InputPerMillion, lookup.Price.OutputPerMillion);
            _monitor.UnknownModel(lookup.RequestedModel, lookup.Price);
        }
        return resolved.Compiled.Cost(usage);
    }
}
