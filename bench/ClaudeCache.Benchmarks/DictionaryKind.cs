namespace ClaudeCache.Benchmarks;

/// <summary>Which zstd dictionary an entry is compressed with.</summary>
public enum DictionaryKind
{
    /// <summary>The dictionary shipped in the build (trained on the project's documentation).</summary>
    Shipped,

    /// <summary>One trained like a store's own, on the answer corpus.</summary>
    Trained,
}
