using System.Diagnostics.CodeAnalysis;

namespace ClaudeCache.Costs;

/// <summary>
/// Model prices, read from a data file rather than written in code because prices change (docs/pricing.md).
/// The product ships one (<see cref="LoadDefault"/>); users can replace or add families with their own file
/// (<see cref="LoadWithOverride"/>). Immutable: share one instance.
/// </summary>
public sealed class PriceTable
{
    private const string ResourceName = "ClaudeCache.Costs.prices.json";

    private static readonly Lazy<PriceTable> Default = new(ReadDefault);

    private static readonly char[] Separators = ['-', '@'];

    private readonly Dictionary<string, ModelPrice> byPrefix;

    private PriceTable(int version, DateOnly updated, decimal batchMultiplier, IReadOnlyList<ModelPrice> families)
    {
        Version = version;
        Updated = updated;
        BatchMultiplier = batchMultiplier;
        Families = families;
        byPrefix = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (ModelPrice family in families)
        {
            foreach (string prefix in family.Prefixes)
            {
                byPrefix[prefix] = family;
            }
        }
    }

    /// <summary>The price file format version.</summary>
    public int Version { get; }

    /// <summary>When the prices were last revised (the later date when a user file overrides the defaults).</summary>
    public DateOnly Updated { get; }

    /// <summary>What the Batch API multiplies every token class by (0.5: 50% off).</summary>
    public decimal BatchMultiplier { get; }

    /// <summary>Every family, each with the prefixes it still answers for.</summary>
    public IReadOnlyList<ModelPrice> Families { get; }

    /// <summary>The price table shipped with the product (<c>Costs/prices.json</c>, embedded).</summary>
    public static PriceTable LoadDefault() => Default.Value;

    /// <summary>Reads a complete price table.</summary>
    /// <exception cref="InvalidDataException">The JSON is malformed; the message names the property and the problem.</exception>
    public static PriceTable Load(Stream json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromFile(PriceFileReader.Read(json, "Price table", isOverride: false));
    }

    /// <summary>
    /// The default table with a user's file applied: each family in the user file takes over its prefixes
    /// (replacing the default family for those prefixes only) or adds new ones. Null or empty: the defaults.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="userFilePath"/>.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file, the property and the problem.</exception>
    public static PriceTable LoadWithOverride(string? userFilePath)
    {
        PriceTable defaults = LoadDefault();
        if (string.IsNullOrWhiteSpace(userFilePath))
        {
            return defaults;
        }

        PriceFile user;
        try
        {
            using FileStream stream = File.OpenRead(userFilePath);
            user = PriceFileReader.Read(stream, $"Price file '{userFilePath}'", isOverride: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Price file '{userFilePath}' was not found.", userFilePath, e);
        }

        return defaults.Apply(user);
    }

    /// <summary>
    /// Finds the family of a model id by the longest prefix that ends at the end of the id or before a '-' or '@'
    /// (<c>claude-sonnet-4-5-20250929</c> → Sonnet 4.5; <c>claude-sonnet-4-50</c> is not Sonnet 4.5).
    /// False means the price is unknown, never that the model is free.
    /// </summary>
    /// <remarks>
    /// A prefix is also skipped when the next segment is a short number: that is another minor version
    /// (<c>claude-sonnet-4-9</c> must not be billed as Sonnet 4), whereas an 8-digit date is a snapshot of the
    /// same model. Aliases that end in such a number (<c>claude-opus-4-0</c>) are listed in the file.
    /// </remarks>
    public bool TryFind(string modelId, [NotNullWhen(true)] out ModelPrice? price) => TryFind(modelId, out price, out _);

    /// <summary>
    /// The prefix of the table that <paramref name="modelId"/> matched (<c>claude-sonnet-4-5-20250929</c> →
    /// <c>claude-sonnet-4-5</c>, as the table spells it), or null when the model has no price. The ledger and the
    /// metrics name models by it: a value set bounded by the table, however many ids clients send.
    /// </summary>
    public string? LabelOf(string modelId)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        return TryFind(modelId, out ModelPrice? price, out int end)
            ? price.Prefixes.First(p => p.Length == end && modelId.AsSpan(0, end).Equals(p, StringComparison.OrdinalIgnoreCase))
            : null;
    }

    /// <summary>Every prefix of the table: all the values <see cref="LabelOf"/> returns.</summary>
    public IReadOnlyCollection<string> Labels => byPrefix.Keys;

    private bool TryFind(string modelId, [NotNullWhen(true)] out ModelPrice? price, out int matchedLength)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        Dictionary<string, ModelPrice>.AlternateLookup<ReadOnlySpan<char>> lookup = byPrefix.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int end = modelId.Length; end > 0; end = modelId.LastIndexOfAny(Separators, end - 1))
        {
            if (lookup.TryGetValue(modelId.AsSpan(0, end), out price) && !StartsWithMinorVersion(modelId.AsSpan(end)))
            {
                matchedLength = end;
                return true;
            }
        }

        price = null;
        matchedLength = 0;
        return false;
    }

    // rest: "" or "-..." / "@..." after a candidate prefix.
    private static bool StartsWithMinorVersion(ReadOnlySpan<char> rest)
    {
        if (rest.IsEmpty)
        {
            return false;
        }

        ReadOnlySpan<char> segment = rest[1..];
        int next = segment.IndexOfAny(Separators);
        if (next >= 0)
        {
            segment = segment[..next];
        }

        const int DateLength = 8; // yyyyMMdd
        return segment.Length is > 0 and < DateLength && !segment.ContainsAnyExceptInRange('0', '9');
    }

    private static PriceTable ReadDefault()
    {
        using Stream stream = typeof(PriceTable).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded price table '{ResourceName}' is missing from the build.");
        return Load(stream);
    }

    private static PriceTable FromFile(PriceFile file) =>
        new(file.Version, file.Updated, file.BatchMultiplier ?? throw new InvalidDataException("Price table: $.batchMultiplier: missing."), file.Families);

    private PriceTable Apply(PriceFile user)
    {
        var taken = new HashSet<string>(user.Families.SelectMany(f => f.Prefixes), StringComparer.OrdinalIgnoreCase);
        var families = new List<ModelPrice>();
        foreach (ModelPrice family in Families)
        {
            string[] kept = [.. family.Prefixes.Where(p => !taken.Contains(p))];
            if (kept.Length > 0)
            {
                families.Add(kept.Length == family.Prefixes.Count ? family : family with { Prefixes = kept });
            }
        }

        families.AddRange(user.Families);
        return new PriceTable(Version, user.Updated > Updated ? user.Updated : Updated, user.BatchMultiplier ?? BatchMultiplier, families);
    }
}
