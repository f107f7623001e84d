using Grpc.Core;

namespace Karma.LoadTesting;

/// <summary>
/// How an outcome is named in results: the <see cref="StatusCode"/> name (<c>OK</c>, <c>ResourceExhausted</c> for
/// RESOURCE_EXHAUSTED, <c>DeadlineExceeded</c>, …), the same names the service uses in
/// <c>karma_rpc_calls_total{status}</c>, plus <c>ClientError</c> for a failure that never became a gRPC status.
/// </summary>
public static class CallStatus
{
    /// <summary>A successful call.</summary>
    public const string Ok = nameof(StatusCode.OK);

    /// <summary>Code of a client-side failure that never became a gRPC status (not a <see cref="StatusCode"/> value).</summary>
    public const short ClientErrorCode = -1;

    /// <summary>Name of a client-side failure that never became a gRPC status.</summary>
    public const string ClientError = "ClientError";

    /// <summary>The name of a status code, or <see cref="ClientError"/> for <see cref="ClientErrorCode"/>.</summary>
    public static string Name(short code) => code == ClientErrorCode ? ClientError : ((StatusCode)code).ToString();
}
