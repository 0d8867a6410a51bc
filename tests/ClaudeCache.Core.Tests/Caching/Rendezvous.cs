namespace ClaudeCache.Tests.Caching;

/// <summary>Lets two parties wait until both have arrived.</summary>
internal sealed class Rendezvous
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    public Task ArriveAsync()
    {
        if (Interlocked.Increment(ref _count) == 2)
        {
            _all.TrySetResult();
        }

        return _all.Task;
    }
}
