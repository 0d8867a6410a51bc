namespace ClaudeCache.Proxy.Tests.Infrastructure;

/// <summary>Waits for something another process or thread does (a pub/sub message), with a generous bound.</summary>
public static class Polling
{
    /// <summary>True as soon as <paramref name="condition"/> holds; false if it still does not after ten seconds.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            try
            {
                await Task.Delay(10, bound.Token);
            }
            catch (OperationCanceledException)
            {
                return condition();
            }
        }

        return true;
    }
}
