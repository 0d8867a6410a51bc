namespace ClaudeCache.Testing;

/// <summary>The models the fake knows: snapshot id, alias, display name, creation date. Newest first, as the API lists them.</summary>
public static class ModelCatalog
{
    /// <summary>Every model: its dated snapshot id, the alias requests may use, its display name and creation date (ISO 8601).</summary>
    public static IReadOnlyList<(string Id, string Alias, string DisplayName, string CreatedAt)> Models { get; } =
    [
        ("claude-opus-4-5-20251101", "claude-opus-4-5", "Claude Opus 4.5", "2025-11-01T00:00:00Z"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-01T00:00:00Z"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
        ("claude-opus-4-1-20250805", "claude-opus-4-1", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
        ("claude-opus-4-20250514", "claude-opus-4-0", "Claude Opus 4", "2025-05-14T00:00:00Z"),
        ("claude-sonnet-4-20250514", "claude-sonnet-4-0", "Claude Sonnet 4", "2025-05-14T00:00:00Z"),
        ("claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest", "Claude Sonnet 3.7", "2025-02-19T00:00:00Z"),
        ("claude-3-5-haiku-20241022", "claude-3-5-haiku-latest", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"),
    ];

    /// <summary>The snapshot id for an alias (<c>claude-sonnet-4-5</c> → <c>claude-sonnet-4-5-20250929</c>); anything else is echoed.</summary>
    public static string Resolve(string model)
    {
        foreach (var m in Models)
        {
            if (string.Equals(m.Alias, model, StringComparison.Ordinal))
            {
                return m.Id;
            }
        }

        return model;
    }

    /// <summary>The index of a known model by id or alias, or -1.</summary>
    public static int IndexOf(string idOrAlias)
    {
        string id = Resolve(idOrAlias);
        for (int i = 0; i < Models.Count; i++)
        {
            if (string.Equals(Models[i].Id, id, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
