using System.Globalization;
using System.Text;
using Grpc.Core;

namespace Karma.Serving.Wire;

/// <summary>
/// A gRPC answer written without the gRPC handler: HTTP 200 with the status in the headers and no body ("trailers
/// only"), which every gRPC client reads as the call's status. Costs no exception and no parsing.
/// </summary>
public static class TrailersOnlyResponse
{
    /// <summary>Writes the status; the caller returns without calling the rest of the pipeline.</summary>
    public static void Write(HttpResponse response, StatusCode code, string detail)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(detail);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(detail);
    }

    /// <summary>grpc-message encoding (gRPC over HTTP/2): UTF-8, bytes outside printable ASCII and '%' as %XX.</summary>
    private static string PercentEncode(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
