using Grpc.Core;
using Grpc.Core.Interceptors;
using Karma.Serving.Core.Inference;
using Karma.Serving.Model;

namespace Karma.Serving.Hosting;

/// <summary>
/// Deadline and error semantics for every call (admission is <see cref="CallAdmissionMiddleware"/>, before the body is
/// read). <c>karma.v1.Retrieval</c> calls whose deadline has already passed are answered DEADLINE_EXCEEDED without
/// being computed. Known failures map to their status (bad context → INVALID_ARGUMENT, full
/// queue → RESOURCE_EXHAUSTED, no model → UNAVAILABLE, expired deadline → DEADLINE_EXCEEDED); a call that finishes
/// after its deadline is never answered OK; anything else is logged and returned as INTERNAL without internals.
/// </summary>
public sealed class ErrorMappingInterceptor : Interceptor
{
    private static readonly string AdmittedService = "/" + Contracts.V1.Retrieval.Descriptor.FullName + "/";
    private readonly ILogger<ErrorMappingInterceptor> _logger;
    private readonly Core.Telemetry.KarmaTelemetry _telemetry;

    /// <summary>Creates the interceptor (a singleton).</summary>
    public ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger, Core.Telemetry.KarmaTelemetry telemetry)
    {
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
        if (context.Method.StartsWith(AdmittedService, StringComparison.Ordinal) && context.Deadline <= DateTime.UtcNow)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the deadline had passed when the call was admitted; it was not computed"));
        }

        try
        {
            var response = await continuation(request, context).ConfigureAwait(false);
            // Grpc.AspNetCore answers DEADLINE_EXCEEDED itself when its deadline timer fires; this closes the race
            // where the work ends just after the deadline but before the timer's answer.
            if (context.Deadline <= DateTime.UtcNow)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the deadline expired before the call finished"));
            }

            return response;
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
    }
}
