using System.Globalization;
using Microsoft.Extensions.Options;

namespace ClaudeCache.Policy;

/// <summary>
/// Checks <see cref="StrategyOptions"/> at start-up, so a bad TTL or rule stops the host with a message naming
/// the configuration key instead of surfacing as odd cache behaviour later.
/// </summary>
public sealed class StrategyOptionsValidator : IValidateOptions<StrategyOptions>
{
    private const string Section = StrategyOptions.SectionName;

    /// <summary>The values configuration accepts for a strategy (case-insensitive), for messages.</summary>
    private static readonly string Strategies = string.Join(", ", Enum.GetNames<CacheStrategy>());

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, StrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        RequirePositive(failures, nameof(options.MinTtl), options.MinTtl);
        RequirePositive(failures, nameof(options.MaxTtl), options.MaxTtl);
        if (options.MinTtl > options.MaxTtl)
        {
            failures.Add($"{Section}:MinTtl ({options.MinTtl}) must not exceed {Section}:MaxTtl ({options.MaxTtl}).");
        }

        CheckTtl(failures, options, nameof(options.AggressiveTtl), options.AggressiveTtl);
        CheckTtl(failures, options, nameof(options.StandardTtl), options.StandardTtl);
        CheckTtl(failures, options, nameof(options.ConservativeTtl), options.ConservativeTtl);
        CheckTtl(failures, options, nameof(options.RealTimeTtl), options.RealTimeTtl);

        if (options.MaxGrace < TimeSpan.Zero)
        {
            failures.Add($"{Section}:MaxGrace must not be negative.");
        }

        CheckGrace(failures, options, nameof(options.AggressiveGrace), options.AggressiveGrace);
        CheckGrace(failures, options, nameof(options.StandardGrace), options.StandardGrace);
        CheckGrace(failures, options, nameof(options.ConservativeGrace), options.ConservativeGrace);
        CheckGrace(failures, options, nameof(options.RealTimeGrace), options.RealTimeGrace);

        if (!Enum.IsDefined(options.DefaultStrategy))
        {
            failures.Add($"{Section}:DefaultStrategy must be one of {Strategies}, not {(int)options.DefaultStrategy}.");
        }

        CheckContexts(failures, options.Contexts);
        CheckRules(failures, options.ContentRules);

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void RequirePositive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:{key} must be positive.");
        }
    }

    private static void CheckTtl(List<string> failures, StrategyOptions options, string key, TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:{key} must be positive.");
        }
        else if (ttl < options.MinTtl || ttl > options.MaxTtl)
        {
            failures.Add($"{Section}:{key} ({ttl}) must lie within {Section}:MinTtl ({options.MinTtl}) and {Section}:MaxTtl ({options.MaxTtl}).");
        }
    }

    private static void CheckGrace(List<string> failures, StrategyOptions options, string key, TimeSpan grace)
    {
        if (grace < TimeSpan.Zero || (options.MaxGrace >= TimeSpan.Zero && grace > options.MaxGrace))
        {
            failures.Add($"{Section}:{key} ({grace}) must lie within 0 and {Section}:MaxGrace ({options.MaxGrace}).");
        }
    }

    private static void CheckContexts(List<string> failures, Dictionary<string, CacheStrategy>? contexts)
    {
        if (contexts is null)
        {
            failures.Add($"{Section}:Contexts must not be null.");
            return;
        }

        foreach (var (context, strategy) in contexts)
        {
            if (string.IsNullOrWhiteSpace(context))
            {
                failures.Add($"{Section}:Contexts has an empty context name.");
            }
            else if (!Enum.IsDefined(strategy))
            {
                failures.Add($"{Section}:Contexts:{context} is not a strategy.");
            }
        }
    }

    private static void CheckRules(List<string> failures, List<ContentRule>? rules)
    {
        if (rules is null)
        {
            failures.Add($"{Section}:ContentRules must not be null.");
            return;
        }

        for (var i = 0; i < rules.Count; i++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{Section}:ContentRules:{i}");
            var rule = rules[i];
            if (rule is null || string.IsNullOrEmpty(rule.Pattern))
            {
                failures.Add($"{key}:Pattern must not be empty.");
                continue;
            }

            if (!Enum.IsDefined(rule.Strategy))
            {
                failures.Add($"{key}:Strategy is not a strategy.");
            }

            if (!Enum.IsDefined(rule.Scope))
            {
                failures.Add($"{key}:Scope must be Either, System or LastUserTurn.");
            }

            if (rule.IsRegex)
            {
                try
                {
                    _ = rule.CreateRegex();
                }
                catch (ArgumentException e)
                {
                    failures.Add($"{key}:Pattern is not a valid regular expression: {e.Message}");
                }
            }
        }
    }
}
