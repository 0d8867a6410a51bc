using System.Diagnostics.CodeAnalysis;

namespace ClaudeCache.Caching;

/// <summary>A trained dictionary as a store holds it.</summary>
/// <param name="Id">The id zstd wrote into the dictionary's header; entries name their dictionary by it.</param>
/// <param name="Bytes">The dictionary as zstd's trainer wrote it.</param>
/// <param name="CreatedAt">When it was trained: the newest dictionary compresses new entries.</param>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "zstd calls it a dictionary; it is not a collection.")]
public sealed record StoredDictionary(uint Id, byte[] Bytes, DateTimeOffset CreatedAt);
