using Grpc.Core;

namespace Karma.Serving.Wire;

/// <summary>Why a request was refused before any handler saw it.</summary>
public enum RefusalKind
{
    /// <summary>A content-type other than application/grpc or application/grpc+proto.</summary>
    ContentType,

    /// <summary>A frame longer than the receive limit.</summary>
    Oversize,

    /// <summary>A broken frame: bad compressed flag, truncated, or more messages than the method takes.</summary>
    Framing,

    /// <summary>A complete message that is not a valid protobuf encoding of the request type.</summary>
    Unparsable,

    /// <summary>A call that ended UNKNOWN: an exception outside the service's handlers (e.g. a corrupt compressed message).</summary>
    Unknown,
}

/// <summary>
/// Marks a status as a refusal of the wire layer. It travels as the status's <see cref="Status.DebugException"/>
/// (which grpc-dotnet keeps on the server and never sends), so <see cref="GrpcWireMiddleware"/> can tell these calls,
/// which no interceptor saw, from the handlers' own errors, and count and log them. Never thrown.
/// </summary>
public sealed class WireRefusalException : Exception
{
    /// <summary>Creates the marker.</summary>
    public WireRefusalException(RefusalKind kind) : base(kind.ToString()) => Kind = kind;

    /// <inheritdoc />
    public WireRefusalException()
    {
    }

    /// <inheritdoc />
    public WireRefusalException(string message) : base(message)
    {
    }

    /// <inheritdoc />
    public WireRefusalException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The reason.</summary>
    public RefusalKind Kind { get; }

    /// <summary>The exception to throw from the wire layer: <paramref name="code"/> with <paramref name="detail"/>, marked.</summary>
    public static RpcException Refuse(StatusCode code, RefusalKind kind, string detail)
        => new(new Status(code, detail, new WireRefusalException(kind)));
}
