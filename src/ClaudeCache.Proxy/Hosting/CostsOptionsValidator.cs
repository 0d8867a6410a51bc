using Microsoft.Extensions.Options;

namespace ClaudeCache.Proxy.Hosting;

/// <summary>Checks the ledger bounds of <c>ClaudeCache:Costs</c> at start-up, so a bad value stops the process naming its key.</summary>
internal sealed class CostsOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Costs.ToLedgerLimits().Validate("ClaudeCache:Costs");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
