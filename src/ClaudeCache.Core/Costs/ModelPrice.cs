namespace ClaudeCache.Costs;

/// <summary>One row of the price table: a model family, the model-id prefixes it covers, and how it is billed.</summary>
/// <remarks>See docs/pricing.md for the file format these rows are read from.</remarks>
public sealed record ModelPrice
{
    /// <summary>Display name, for example "Sonnet 4.5, 4, 3.7".</summary>
    public required string Name { get; init; }

    /// <summary>Model-id prefixes, matched longest first (<c>claude-sonnet-4-5</c> covers <c>claude-sonnet-4-5-20250929</c>).</summary>
    public required IReadOnlyList<string> Prefixes { get; init; }

    /// <summary>Standard rates, before any dated <see cref="Changes"/>.</summary>
    public required TokenRates Rates { get; init; }

    /// <summary>Multiplier for requests pinned to a region with <c>inference_geo</c>; 1 where the family has none.</summary>
    public decimal RegionalMultiplier { get; init; } = 1m;

    /// <summary>Rates for prompts above a token threshold, or null.</summary>
    public LongPromptTier? LongPrompt { get; init; }

    /// <summary>Dated changes to <see cref="Rates"/>, oldest first.</summary>
    public IReadOnlyList<PriceChange> Changes { get; init; } = [];

    /// <summary>Rates by request <c>speed</c> (for example <c>fast</c>); standard speed uses <see cref="Rates"/>.</summary>
    public IReadOnlyDictionary<string, TokenRates> Speeds { get; init; } = new Dictionary<string, TokenRates>();

    /// <summary>Free text from the price file (where a price came from); not used in any calculation.</summary>
    public string? Note { get; init; }

    /// <summary>The standard rates in effect at <paramref name="at"/>: <see cref="Rates"/> with every change made by then.</summary>
    public TokenRates RatesAt(DateTimeOffset at)
    {
        TokenRates rates = Rates;
        foreach (PriceChange change in Changes)
        {
            if (change.IsInEffectAt(at))
            {
                rates = change.ApplyTo(rates);
            }
        }

        return rates;
    }
}
