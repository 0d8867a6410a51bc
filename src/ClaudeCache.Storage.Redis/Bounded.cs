namespace ClaudeCache.Storage.Redis;

/// <summary>Bounds a Redis operation by the store's operation timeout.</summary>
internal static class Bounded
{
    /// <summary>
    /// Waits for <paramref name="task"/> at most <paramref name="timeout"/>; throws <see cref="TimeoutException"/>
    /// after that. The abandoned operation still completes (or fails) inside the client; its fault is observed
    /// here so it never surfaces as an unobserved task exception.
    /// </summary>
    public static async Task<T> WaitAsync<T>(Task<T> task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException && !task.IsCompleted)
        {
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    /// <inheritdoc cref="WaitAsync{T}(Task{T}, TimeSpan, CancellationToken)"/>
    public static async Task WaitAsync(Task task, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException && !task.IsCompleted)
        {
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }
}
