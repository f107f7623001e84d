using Karma.Serving.Configuration;
using Karma.Serving.Model;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Hosting;

/// <summary>
/// Graceful shutdown. When the host stops (SIGTERM), before any listener closes, readiness turns NOT_SERVING
/// (gRPC health and <c>/readyz</c>) and calls are still served for <c>Karma:DrainDelaySeconds</c>, so load
/// balancers and clients that watch health stop sending; then Kestrel stops accepting connections and lets
/// in-flight calls finish, all within <c>Karma:ShutdownTimeoutSeconds</c> (the host's shutdown timeout).
/// </summary>
public sealed class ShutdownDrain(IOptions<ServingOptions> options, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    private volatile bool _draining;

    /// <summary>True once shutdown has begun: readiness reports NOT_SERVING.</summary>
    public bool Draining => _draining;

    /// <inheritdoc />
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        int delay = options.Value.DrainDelaySeconds;
        HostLog.Draining(logger, delay, options.Value.ShutdownTimeoutSeconds);
        if (delay > 0)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(delay), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The shutdown timeout ran out first: stop now.
            }
        }
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
