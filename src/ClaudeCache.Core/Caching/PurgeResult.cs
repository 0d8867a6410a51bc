namespace ClaudeCache.Caching;

/// <summary>What a purge did: how many entries matched and how many were removed (0 on a dry run). Counts, never keys.</summary>
/// <param name="Matched">Distinct entries that matched, in the memory tier or the store.</param>
/// <param name="Removed">Entries removed; equal to <paramref name="Matched"/> unless it was a dry run.</param>
/// <param name="DryRun">True when nothing was removed.</param>
public sealed record PurgeResult(long Matched, long Removed, bool DryRun);
