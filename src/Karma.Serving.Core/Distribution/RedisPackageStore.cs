using System.Security.Cryptography;
using System.Text.Json;
using Karma.Core.Package;
using StackExchange.Redis;

namespace Karma.Serving.Core.Distribution;

/// <summary>
/// Model packages in Redis, so that every replica picks up a new version together (docs/operations.md, "Caching, distribution and telemetry").
/// Layout, all under <c>karma:pkg:</c>: <c>{version}:index</c> (JSON: each file's size, SHA-256 and chunk
/// count), <c>{version}:{file}:{n}</c> (chunks of at most 1 MiB), <c>{version}:complete</c> (written last),
/// <c>latest</c> (the newest complete version) and the pub/sub channel <c>announce</c> (a version string).
/// A reader verifies every file's size and SHA-256 before the package is used; anything partial or corrupt
/// is rejected.
/// </summary>
public sealed class RedisPackageStore(IConnectionMultiplexer redis)
{
    /// <summary>Prefix of every key.</summary>
    public const string Prefix = "karma:pkg:";

    /// <summary>Announcement channel.</summary>
    public static readonly RedisChannel Announcements = RedisChannel.Literal(Prefix + "announce");

    private const int ChunkBytes = 1 << 20;

    private sealed record FileEntry(string Name, long Bytes, string Sha256, int Chunks);

    /// <summary>Stores a package directory under its manifest's model version; optionally marks it latest and announces it.</summary>
    public async Task<string> PublishAsync(string packageDir, bool announce = true)
    {
        var manifest = ModelManifest.Read(packageDir);
        string version = manifest.ModelVersion;
        if (string.IsNullOrWhiteSpace(version) || version.Contains(':', StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{packageDir}: model version '{version}' cannot be published (empty or contains ':')");
        }

        var db = redis.GetDatabase();
        var entries = new List<FileEntry>();
        foreach (string path in Directory.GetFiles(packageDir).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            if (name.StartsWith('.') || name.EndsWith(".usearch", StringComparison.Ordinal))
            {
                continue; // derived files are rebuilt by each replica
            }

            byte[] bytes = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
            int chunks = Math.Max(1, (bytes.Length + ChunkBytes - 1) / ChunkBytes);
            for (int c = 0; c < chunks; c++)
            {
                int start = c * ChunkBytes;
                await db.StringSetAsync(Key(version, name, c), bytes.AsMemory(start, Math.Min(ChunkBytes, bytes.Length - start)).ToArray())
                    .ConfigureAwait(false);
            }

            entries.Add(new FileEntry(name, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), chunks));
        }

        await db.StringSetAsync(Prefix + version + ":index", JsonSerializer.Serialize(entries)).ConfigureAwait(false);
        await db.StringSetAsync(Prefix + version + ":complete", "1").ConfigureAwait(false);
        if (announce)
        {
            await AnnounceAsync(version).ConfigureAwait(false);
        }

        return version;
    }

    /// <summary>Marks <paramref name="version"/> as the latest and tells every replica.</summary>
    public async Task AnnounceAsync(string version)
    {
        await redis.GetDatabase().StringSetAsync(Prefix + "latest", version).ConfigureAwait(false);
        await redis.GetSubscriber().PublishAsync(Announcements, version).ConfigureAwait(false);
    }

    /// <summary>The latest announced version, or null.</summary>
    public async Task<string?> LatestAsync()
    {
        var v = await redis.GetDatabase().StringGetAsync(Prefix + "latest").ConfigureAwait(false);
        return v.IsNullOrEmpty ? null : v.ToString();
    }

    /// <summary>
    /// Downloads a version into <paramref name="targetRoot"/>/<paramref name="version"/> (reusing a complete earlier
    /// download) after checking every file; throws <see cref="InvalidDataException"/> naming what is missing or corrupt.
    /// </summary>
    public async Task<string> FetchAsync(string version, string targetRoot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var db = redis.GetDatabase();
        if ((await db.StringGetAsync(Prefix + version + ":complete").ConfigureAwait(false)) != "1")
        {
            throw new InvalidDataException($"published package {version} is incomplete (no completion mark)");
        }

        var indexJson = await db.StringGetAsync(Prefix + version + ":index").ConfigureAwait(false);
        var entries = indexJson.IsNullOrEmpty ? null : JsonSerializer.Deserialize<List<FileEntry>>(indexJson.ToString());
        if (entries is null || entries.Count == 0)
        {
            throw new InvalidDataException($"published package {version} has no file index");
        }

        string dir = Path.Combine(targetRoot, version);
        string temp = dir + ".download-" + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temp);
        try
        {
            foreach (var e in entries)
            {
                if (e.Name != Path.GetFileName(e.Name) || e.Name.StartsWith('.'))
                {
                    throw new InvalidDataException($"published package {version}: bad file name '{e.Name}'");
                }

                using var output = new MemoryStream((int)Math.Min(e.Bytes, int.MaxValue));
                for (int c = 0; c < e.Chunks; c++)
                {
                    var chunk = await db.StringGetAsync(Key(version, e.Name, c)).ConfigureAwait(false);
                    if (chunk.IsNull)
                    {
                        throw new InvalidDataException($"published package {version}: {e.Name} chunk {c} of {e.Chunks} is missing");
                    }

                    output.Write((byte[])chunk!);
                }

                byte[] bytes = output.ToArray();
                if (bytes.Length != e.Bytes || Convert.ToHexStringLower(SHA256.HashData(bytes)) != e.Sha256)
                {
                    throw new InvalidDataException($"published package {version}: {e.Name} fails its size or SHA-256 check (corrupt publication)");
                }

                await File.WriteAllBytesAsync(Path.Combine(temp, e.Name), bytes).ConfigureAwait(false);
            }

            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }

            Directory.Move(temp, dir);
            return dir;
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    private static RedisKey Key(string version, string file, int chunk) => $"{Prefix}{version}:{file}:{chunk}";
}
