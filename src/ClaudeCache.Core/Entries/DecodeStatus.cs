namespace ClaudeCache.Entries;

/// <summary>The outcome of <c>EntryCodec.TryDecode</c>. Expected failures are values, not exceptions.</summary>
public enum DecodeStatus
{
    /// <summary>The payload decoded into a response.</summary>
    Ok,

    /// <summary>
    /// The payload is damaged: wrong magic, bad checksum, truncated, or a body that does not parse. Treat it as a
    /// miss and overwrite it.
    /// </summary>
    Corrupt,

    /// <summary>
    /// The payload is intact as far as its header goes but was written by another format version (older ones that
    /// are no longer read, or a newer build sharing the store). Treat it as a miss.
    /// </summary>
    UnknownVersion,

    /// <summary>
    /// The payload is intact but was compressed with a dictionary the caller's <see cref="EntryDictionarySet"/> does
    /// not hold (one another instance trained). Load it (<see cref="EntryCodec.TryGetDictionaryId"/> names it) and
    /// decode again; when it cannot be found, the entry is unreadable: treat it as a miss.
    /// </summary>
    UnknownDictionary,
}
