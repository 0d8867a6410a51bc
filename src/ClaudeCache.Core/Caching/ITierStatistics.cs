namespace ClaudeCache.Caching;

/// <summary>A second tier that can say how much it holds (for analytics); optional.</summary>
public interface ITierStatistics
{
    /// <summary>Entry count and bytes held.</summary>
    Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken);
}
