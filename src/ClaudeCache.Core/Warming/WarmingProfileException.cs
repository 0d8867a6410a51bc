namespace ClaudeCache.Warming;

/// <summary>A warming profile that cannot be read: the message names the file and what is wrong with it.</summary>
public sealed class WarmingProfileException : Exception
{
    /// <summary>An exception without a message.</summary>
    public WarmingProfileException()
    {
    }

    /// <summary>An exception with the message to show.</summary>
    public WarmingProfileException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with the message to show and its cause.</summary>
    public WarmingProfileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
