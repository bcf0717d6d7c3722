namespace GuardedAI;

/// <summary>The price found for a model id.</summary>
/// <param name="RequestedModel">The id asked for.</param>
/// <param name="ResolvedModel">The catalogue entry used, or null when the default price was used.</param>
/// <param name="Price">The price.</param>
public readonly record struct PriceLookup(string RequestedModel, string? ResolvedModel, ModelPrice Price)
{
    /// <summary>Whether the model was found (false: the configurable default price applies).</summary>
    public bool IsKnown => ResolvedModel is not null;
}
