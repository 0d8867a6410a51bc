using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ClaudeCache.Extensions.AI.DependencyInjection;

/// <summary>The <see cref="IClaudeCacheBuilder"/> that <c>AddClaudeCache</c> returns.</summary>
internal sealed class ClaudeCacheBuilder(IServiceCollection services, IConfiguration? configuration) : IClaudeCacheBuilder
{
    public IServiceCollection Services { get; } = services;

    public IConfiguration? Configuration { get; } = configuration;
}
