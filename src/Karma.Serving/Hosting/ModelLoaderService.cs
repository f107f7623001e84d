using Karma.Serving.Model;

namespace Karma.Serving.Hosting;

/// <summary>Loads the configured model in the background at start; health stays NOT_SERVING until it is warm.</summary>
public sealed class ModelLoaderService(ModelHost host, ILogger<ModelLoaderService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await host.LoadAsync(null, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            HostLog.StartLoadFailed(logger, e);
        }
    }
}

/// <summary>Readiness: a model is loaded and warmed.</summary>
public sealed class ModelReadyHealthCheck(ModelHost host) : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    /// <inheritdoc />
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
        Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(host.Current is { } m
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy($"serving {m.Package.Version}")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("no model loaded yet"));
}
