namespace ClaudeCache.Entries;

/// <summary>The outcome of <see cref="EntryCodec.TryDecode"/>. Expected failures are values, not exceptions.</summary>
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
}
