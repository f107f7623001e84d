using Grpc.Core;
using Karma.Serving.Configuration;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Model;

/// <summary>
/// The directories an admin Reload may load from (<c>Karma:ModelRoots</c>; by default the directory holding
/// <c>ModelPath</c>, and <c>PackageCacheDir</c>). A requested path is canonicalised first: made absolute, <c>..</c>
/// collapsed, and every symbolic link along it resolved (realpath semantics), so neither <c>..</c> nor a link can lead
/// out of a root; the package is then loaded from that canonical path, so what is checked is what is read. Entries of
/// the package that are links must resolve inside a root too.
/// </summary>
public sealed class ModelRoots
{
    private const int MaxLinkHops = 40; // as Linux's ELOOP limit
    private const int MaxPackageEntries = 10_000;
    private readonly IReadOnlyList<string> _roots;

    /// <summary>Reads the roots from the options.</summary>
    public ModelRoots(IOptions<ServingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _roots = o.ModelRoots.Count > 0
            ? o.ModelRoots.Where(r => !string.IsNullOrWhiteSpace(r)).Select(Path.GetFullPath).ToList()
            : new[] { Path.GetDirectoryName(Path.GetFullPath(ModelHost.ResolvePackagePath(o.ModelPath))), Path.GetFullPath(o.PackageCacheDir) }
                .OfType<string>().ToList();
    }

    /// <summary>The configured roots, absolute (not yet link-resolved: a root may be created after start).</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>
    /// The canonical path to load for <paramref name="requested"/> (resolved like <c>ModelPath</c>), or PERMISSION_DENIED
    /// when it is not inside a root; the error names the rule, never the path.
    /// </summary>
    public string Admit(string requested)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requested);
        if (requested.Any(char.IsControl))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "package_path contains control characters"));
        }

        var roots = _roots.Select(Canonical).ToList();
        string path = Canonical(ModelHost.ResolvePackagePath(requested));
        if (!roots.Any(r => IsUnder(path, r)))
        {
            throw Denied("package_path is outside the model roots (Karma:ModelRoots); Reload loads packages only from inside them");
        }

        if (Directory.Exists(path))
        {
            var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
            foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", options).Take(MaxPackageEntries))
            {
                if (entry.LinkTarget is not null && !roots.Any(r => IsUnder(Canonical(entry.FullName), r)))
                {
                    throw Denied("the package at package_path links to a file outside the model roots (Karma:ModelRoots)");
                }
            }
        }

        return path;
    }

    /// <summary>
    /// <paramref name="path"/> absolute, with <c>.</c>/<c>..</c> collapsed and every symbolic link among its components
    /// replaced by its final target; components that do not exist are kept as they are.
    /// </summary>
    public static string Canonical(string path)
    {
        string full = Path.GetFullPath(path);
        string current = Path.GetPathRoot(full) ?? "/";
        var rest = new Queue<string>(Parts(full));
        int hops = 0;
        while (rest.TryDequeue(out string? part))
        {
            string next = Path.Combine(current, part);
            string? target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "package_path has too many levels of symbolic links"));
            }

            // A relative target is relative to the link's directory; what follows the link is looked up inside the target.
            string resolved = Path.GetFullPath(target, current);
            rest = new Queue<string>(Parts(resolved).Concat(rest));
            current = Path.GetPathRoot(resolved) ?? "/";
        }

        return current;
    }

    private static string[] Parts(string fullPath)
        => fullPath[(Path.GetPathRoot(fullPath)?.Length ?? 0)..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);

    private static bool IsUnder(string path, string root)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return string.Equals(path, root, comparison) || path.StartsWith(prefix, comparison);
    }

    private static RpcException Denied(string message) => new(new Status(StatusCode.PermissionDenied, message));
}
