using ClaudeCache.Warming;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>
/// Scheduled warming inside <c>serve</c> (<c>ClaudeCache:Warming</c>): each profile is sent to the proxy's own
/// loopback address shortly after start, then every <see cref="WarmingProfileOptions.Interval"/>. Entries are
/// partitioned under the API key's tenant, so the key must be the one the real traffic uses (or
/// <c>Tenant:Mode=Shared</c>). See <c>docs/warming.md</c>.
/// </summary>
public sealed class WarmingOptions
{
    /// <summary>The environment variable read when neither a profile nor <see cref="ApiKey"/> gives a key.</summary>
    public const string ApiKeyVariable = "ANTHROPIC_API_KEY";

    /// <summary>The API key for every profile that gives none (default: <c>$ANTHROPIC_API_KEY</c>). Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long after start the first run of every profile begins.</summary>
    public TimeSpan StartDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The scheduled profiles.</summary>
    public List<WarmingProfileOptions> Profiles { get; set; } = [];

    /// <summary>The key a profile is sent with: its own, else <see cref="ApiKey"/>, else the environment's.</summary>
    public string? KeyFor(WarmingProfileOptions profile) =>
        new[] { profile.ApiKey, ApiKey, Environment.GetEnvironmentVariable(ApiKeyVariable) }.FirstOrDefault(k => !string.IsNullOrWhiteSpace(k));

    /// <summary>Problems with these options, each naming its configuration key; empty when they are valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (StartDelay < TimeSpan.Zero)
        {
            yield return "ClaudeCache:Warming:StartDelay must not be negative.";
        }

        for (var i = 0; i < Profiles.Count; i++)
        {
            var profile = Profiles[i];
            var key = $"ClaudeCache:Warming:Profiles:{i}";
            if (string.IsNullOrWhiteSpace(profile.File))
            {
                yield return $"{key}:File must name a warming profile (JSON).";
                continue;
            }

            if (profile.Interval is { } interval && interval <= TimeSpan.Zero)
            {
                yield return $"{key}:Interval must be positive.";
            }

            if (profile.Concurrency is < 1 or > WarmingProfile.MaxConcurrency)
            {
                yield return $"{key}:Concurrency must be from 1 to {WarmingProfile.MaxConcurrency}.";
            }

            if (KeyFor(profile) is null)
            {
                yield return $"{key} needs an API key: {key}:ApiKey, ClaudeCache:Warming:ApiKey or ${ApiKeyVariable} (the key the real traffic uses: entries are partitioned under it).";
            }

            string? problem = null;
            try
            {
                _ = WarmingProfile.Load(profile.File);
            }
            catch (WarmingProfileException ex)
            {
                problem = $"{key}:File: {ex.Message}";
            }

            if (problem is not null)
            {
                yield return problem;
            }
        }
    }
}
