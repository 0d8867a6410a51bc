namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// An expected failure of <c>claudecache stats</c>, <c>estimate</c> or <c>purge</c>, returned as a value: a one-line message for stderr and the exit
/// code (2 when the user can fix it — unreachable proxy, wrong token, missing file, bad option; 1 otherwise).
/// </summary>
internal sealed record CliFailure(int ExitCode, string Message)
{
    public static CliFailure Usage(string message) => new(2, message);

    public static CliFailure Other(string message) => new(1, message);

    /// <summary>Prints the message on <paramref name="error"/> and returns the exit code.</summary>
    public async Task<int> ReportAsync(TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(error);
        await error.WriteLineAsync("claudecache: " + Message).ConfigureAwait(false);
        return ExitCode;
    }
}
