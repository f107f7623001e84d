using System.Globalization;
using System.Text;
using Grpc.Core;

namespace Karma.Serving.Services;

/// <summary>
/// ListItems page tokens: the model version and the next row, base64url so callers treat them as opaque. Bound to the
/// version because rows mean other items in another package: a token from an older version is refused rather than
/// silently skipping or repeating items.
/// </summary>
internal static class CatalogPageToken
{
    public static string Format(string version, int row)
        => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{row.ToString(CultureInfo.InvariantCulture)}@{version}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The first row the token points at (0 for an empty token); INVALID_ARGUMENT for a malformed one.</summary>
    public static int Parse(string token, string version, int rows)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        string? text = Decode(token);
        int at = text?.IndexOf('@', StringComparison.Ordinal) ?? -1;
        if (text is null || at <= 0 || !int.TryParse(text.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out int row) || row > rows)
        {
            throw RequestValidation.Invalid("page_token: not a token this service issued (pass the next_page_token of the previous response, or empty for the first page)");
        }

        string issuedFor = text[(at + 1)..];
        if (issuedFor != version)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"page_token: issued for model version {issuedFor}, but {version} serves now and its catalog differs; start again with an empty page_token"));
        }

        return row;
    }

    private static string? Decode(string token)
    {
        if (token.Length > 1024)
        {
            return null;
        }

        string padded = token.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(padded));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
