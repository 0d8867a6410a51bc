using System.CommandLine;
using ClaudeCache.Warming;

namespace ClaudeCache.Proxy.Cli;

/// <summary>
/// <c>claudecache warm</c>: sends a warming profile's requests to a running proxy, at most N at a time, and prints
/// what was already cached, what was warmed and what failed. Exit code 0 when nothing failed, 1 when some requests
/// failed, 2 for a problem the user can fix (bad profile or option, no API key, proxy unreachable).
/// </summary>
internal static class WarmCommand
{
    public static Command Create()
    {
        var profile = new Option<string>("--profile") { Description = "The warming profile (JSON; see docs/warming.md).", Required = true };
        var url = new Option<string>("--url") { Description = "Base URL of the running proxy.", DefaultValueFactory = _ => "http://127.0.0.1:8787" };
        var concurrency = new Option<int?>("--concurrency") { Description = $"Requests in flight at once (default: the profile's, else {WarmingProfile.DefaultConcurrency})." };
        var apiKey = new Option<string?>("--api-key") { Description = $"The API key the real traffic uses: entries are partitioned under it (default: ${Hosting.WarmingOptions.ApiKeyVariable}). Never printed." };
        var command = new Command("warm", "Send a warming profile's requests to a running proxy, so real traffic finds them cached.")
        {
            profile, url, concurrency, apiKey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var arguments = new WarmArguments
            {
                Profile = parse.GetValue(profile)!,
                Url = parse.GetValue(url) ?? "http://127.0.0.1:8787",
                Concurrency = parse.GetValue(concurrency),
                ApiKey = parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable(Hosting.WarmingOptions.ApiKeyVariable),
            };
            return await RunAsync(arguments, Console.Out, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Warms and prints the summary; returns the exit code.</summary>
    public static async Task<int> RunAsync(WarmArguments arguments, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        async Task<int> Usage(string message)
        {
            await error.WriteLineAsync("claudecache: " + message).ConfigureAwait(false);
            return 2;
        }

        if (!Uri.TryCreate(arguments.Url.TrimEnd('/') + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            return await Usage($"--url '{arguments.Url}' is not an http(s) URL.").ConfigureAwait(false);
        }

        if (arguments.Concurrency is < 1 or > WarmingProfile.MaxConcurrency)
        {
            return await Usage($"--concurrency must be from 1 to {WarmingProfile.MaxConcurrency}.").ConfigureAwait(false);
        }

        if (string.IsNullOrWhiteSpace(arguments.ApiKey))
        {
            return await Usage($"an API key is required (--api-key or ${Hosting.WarmingOptions.ApiKeyVariable}): the key the real traffic uses, since entries are partitioned under it.").ConfigureAwait(false);
        }

        WarmingProfile profile;
        try
        {
            profile = WarmingProfile.Load(arguments.Profile);
        }
        catch (WarmingProfileException ex)
        {
            return await Usage(ex.Message).ConfigureAwait(false);
        }

        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(11) };
        if (await ReachAsync(client, cancellationToken).ConfigureAwait(false) is { } unreachable)
        {
            return await Usage($"cannot reach the proxy at {baseAddress}: {unreachable}").ConfigureAwait(false);
        }

        var limit = arguments.Concurrency ?? profile.Concurrency;
        await output.WriteLineAsync($"Warming '{profile.Name}': {profile.Requests.Count} requests, {limit} at a time, through {baseAddress}").ConfigureAwait(false);
        var done = 0;
        var progressLock = new Lock();
        var sender = new HttpWarmingSender(client, baseAddress, arguments.ApiKey);
        var summary = await new CacheWarmer(sender.SendAsync).WarmAsync(profile, limit, result =>
        {
            lock (progressLock)
            {
                done++;
                var status = result.Outcome == WarmingOutcome.Failed ? "FAILED" : result.CacheStatus ?? result.StatusCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
                output.WriteLine($"  [{done}/{profile.Requests.Count}] {status,-7} {result.Request.Name} ({StatsFormat.Milliseconds(result.Elapsed.TotalMilliseconds)})");
            }
        }, cancellationToken).ConfigureAwait(false);

        await output.WriteLineAsync().ConfigureAwait(false);
        WarmTables.Render(StatsTables.CreateConsole(output), summary, baseAddress.ToString());
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return summary.Failed == 0 ? 0 : 1;
    }

    /// <summary>GET /healthz: one clear message instead of one failure per request when the proxy is not there.</summary>
    private static async Task<string?> ReachAsync(HttpClient client, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await client.GetAsync(new Uri("healthz", UriKind.Relative), timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"/healthz answered {(int)response.StatusCode}.";
        }
        catch (HttpRequestException ex)
        {
            return ex.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "no answer from /healthz within 10 s.";
        }
    }
}
