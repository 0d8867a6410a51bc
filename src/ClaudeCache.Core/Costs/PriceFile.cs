namespace ClaudeCache.Costs;

/// <summary>One parsed price file, before it becomes (or is merged into) a <see cref="PriceTable"/>.</summary>
/// <param name="Version">The format version.</param>
/// <param name="Updated">When the prices were revised.</param>
/// <param name="BatchMultiplier">Null only in an override file that keeps the default.</param>
/// <param name="Families">The families, in file order.</param>
internal sealed record PriceFile(int Version, DateOnly Updated, decimal? BatchMultiplier, IReadOnlyList<ModelPrice> Families);
