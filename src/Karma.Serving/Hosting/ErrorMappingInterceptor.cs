using Grpc.Core;
using Grpc.Core.Interceptors;
using Karma.Serving.Configuration;
using Karma.Serving.Core.Inference;
using Karma.Serving.Model;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Hosting;

/// <summary>
/// Bounded concurrency and error semantics for every call: more than <c>MaxConcurrentCalls</c> at once gets
/// RESOURCE_EXHAUSTED; known failures map to their status (bad context → INVALID_ARGUMENT, full queue →
/// RESOURCE_EXHAUSTED, no model → UNAVAILABLE, expired deadline → DEADLINE_EXCEEDED); anything else is
/// logged and returned as INTERNAL without internals, never a crash.
/// </summary>
public sealed class ErrorMappingInterceptor : Interceptor, IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly ILogger<ErrorMappingInterceptor> _logger;
    private readonly Core.Telemetry.KarmaTelemetry _telemetry;

    /// <summary>Creates the interceptor (a singleton: the slot count is process-wide).</summary>
    public ErrorMappingInterceptor(IOptions<ServingOptions> options, ILogger<ErrorMappingInterceptor> logger, Core.Telemetry.KarmaTelemetry telemetry)
    {
        ArgumentNullException.ThrowIfNull(options);
        _slots = new SemaphoreSlim(options.Value.MaxConcurrentCalls, options.Value.MaxConcurrentCalls);
        _logger = logger;
        _telemetry = telemetry;
    }

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        string status = nameof(StatusCode.OK);
        try
        {
            return await MappedAsync(request, context, continuation).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            status = e.StatusCode.ToString();
            throw;
        }
        finally
        {
            _telemetry.CallDone(context.Method, status);
        }
    }

    private async Task<TResponse> MappedAsync<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
        where TRequest : class
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (!_slots.Wait(0))
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, "the server is at its concurrent-call limit; retry with backoff"));
        }

        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (InvalidContextException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (QueueFullException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (ModelUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            bool expired = context.Deadline <= DateTime.UtcNow;
            throw new RpcException(new Status(expired ? StatusCode.DeadlineExceeded : StatusCode.Cancelled,
                expired ? "the deadline expired before the call finished" : "the call was cancelled"));
        }
        catch (Exception e)
        {
            HostLog.Unhandled(_logger, e, context.Method);
            throw new RpcException(new Status(StatusCode.Internal, "internal error; see the server log"));
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();
}
