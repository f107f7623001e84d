using System.CommandLine;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Karma.Core.Data;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Items;

namespace Karma.Cli.Commands;

/// <summary>
/// <c>karma items upsert|remove</c>: change a running service's catalog through its admin surface (the item log every
/// replica follows). The token comes from <c>--token</c> or the <c>KARMA_ADMIN_TOKEN</c> environment variable.
/// </summary>
internal static class ItemCommands
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Service address (its admin surface)", DefaultValueFactory = _ => "http://localhost:50051" };
        var token = new Option<string?>("--token") { Description = "Admin token (default: the KARMA_ADMIN_TOKEN environment variable)" };
        var batch = new Option<int>("--batch") { Description = "Items per call", DefaultValueFactory = _ => 500 };
        var rate = new Option<double>("--rate") { Description = "Items per second to send at most (0: as fast as the service takes them)" };
        var file = new Argument<FileInfo>("file") { Description = "Items in the catalog format (items.jsonl: one JSON object per line)" };
        var upsert = new Command("upsert", "Add items, or replace the items of the same ids; searchable when each call returns") { file, target, token, batch, rate };
        upsert.SetAction(async parse =>
        {
            var items = ItemsJsonl.Read(parse.GetValue(file)!.FullName, BadRowPolicy.Fail, new BadRowReport());
            return await SendAsync(parse.GetValue(target)!, parse.GetValue(token), items.Count, parse.GetValue(batch), parse.GetValue(rate), "upserted",
                (admin, start, count, headers) =>
                {
                    var request = new UpsertItemsRequest();
                    request.Items.AddRange(items.Skip(start).Take(count).Select(ToNewItem));
                    return admin.UpsertItemsAsync(request, headers).ResponseAsync;
                });
        });

        var ids = new Argument<string[]>("item-ids") { Description = "Item ids to remove", Arity = ArgumentArity.ZeroOrMore };
        var idFile = new Option<FileInfo?>("--file") { Description = "A file of item ids to remove, one per line" };
        var remove = new Command("remove", "Remove items by id; never returned again once each call returns") { ids, idFile, target, token, batch };
        remove.SetAction(async parse =>
        {
            var all = (parse.GetValue(ids) ?? []).Concat(parse.GetValue(idFile) is { } f
                ? File.ReadLines(f.FullName).Select(l => l.Trim()).Where(l => l.Length > 0) : []).ToList();
            if (all.Count == 0)
            {
                Console.Error.WriteLine("error: no item ids given (arguments or --file)");
                return 2;
            }

            return await SendAsync(parse.GetValue(target)!, parse.GetValue(token), all.Count, parse.GetValue(batch), 0, "removed",
                (admin, start, count, headers) =>
                {
                    var request = new RemoveItemsRequest();
                    request.ItemIds.AddRange(all.Skip(start).Take(count));
                    return admin.RemoveItemsAsync(request, headers).ResponseAsync;
                });
        });

        var data = new Option<DirectoryInfo>("--data") { Description = "Data directory the serving package was exported from (items.jsonl, events.csv)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Data directory to write (missing or empty)", Required = true };
        var logFile = new Option<FileInfo?>("--log") { Description = "The item log's file (Karma:ItemLogPath)" };
        var redis = new Option<string?>("--redis") { Description = "Redis holding the item log's stream (Karma:PackageRedis)" };
        var stream = new Option<string>("--stream") { Description = "The stream's key (Karma:ItemLogStream)", DefaultValueFactory = _ => RedisItemLog.DefaultKey };
        var fold = new Command("fold", "Write a data directory with the item log's changes folded in: export the next package from it, then trim the log through the printed position")
        {
            data, output, logFile, redis, stream,
        };
        fold.SetAction(async parse => await FoldAsync(parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(logFile), parse.GetValue(redis), parse.GetValue(stream)!));

        return new Command("items", "Change a running service's catalog (admin token required), or fold the item log into a data directory") { upsert, remove, fold };
    }

    private static async Task<int> FoldAsync(DirectoryInfo data, DirectoryInfo output, FileInfo? logFile, string? redis, string stream)
    {
        if ((logFile is null) == string.IsNullOrWhiteSpace(redis))
        {
            Console.Error.WriteLine("error: name the item log: --log FILE or --redis HOST:PORT");
            return 2;
        }

        if (output.Exists && output.EnumerateFileSystemInfos().Any())
        {
            Console.Error.WriteLine($"error: {output.FullName} is not empty");
            return 2;
        }

        var items = ItemsJsonl.Read(Path.Combine(data.FullName, ItemsJsonl.FileName), BadRowPolicy.Fail, new BadRowReport());
        var progress = new Progress<string>(m => Console.Error.WriteLine($"[items fold] {m}"));
        StackExchange.Redis.ConnectionMultiplexer? connection = null;
        using var file = logFile is null ? null : new FileItemLog(logFile.FullName);
        try
        {
            IItemLog log = file is not null ? file : new RedisItemLog(connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis!), stream);
            var result = await ItemLogFold.FoldAsync(items, log, progress, CancellationToken.None);
            output.Create();
            ItemsJsonl.Write(Path.Combine(output.FullName, ItemsJsonl.FileName), result.Items);
            var kept = new HashSet<string>(result.Items.Select(i => i.ItemId), StringComparer.Ordinal);
            var report = new BadRowReport();
            // Events of removed items go with them (a catalog without the item cannot hold its events).
            EventsCsv.Write(Path.Combine(output.FullName, EventsCsv.FileName),
                EventsCsv.Read(Path.Combine(data.FullName, EventsCsv.FileName), BadRowPolicy.Skip, report, kept));
            Console.WriteLine($"{result.Entries:N0} log entries folded ({result.Damaged} damaged, skipped): {items.Count:N0} items -> {result.Items.Count:N0} " +
                $"({result.Removed.Count:N0} removed, {report.Count:N0} of their events dropped) in {output.FullName}; " +
                $"once a package exported from it serves on every replica, trim the log through position {result.Position ?? "(none)"}");
            return 0;
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static NewItem ToNewItem(Item item)
    {
        var n = new NewItem
        {
            ItemId = item.ItemId, Title = item.Title, Description = item.Description ?? string.Empty, Category = item.Category,
            Brand = item.Brand ?? string.Empty,
        };
        if (item.Price is { } price)
        {
            n.Price = price;
        }

        if (item.ImageEmbedding is { } image)
        {
            n.ImageEmbedding.AddRange(image);
        }

        return n;
    }

    /// <summary>Sends <paramref name="total"/> entries in calls of <paramref name="batch"/>, paced to <paramref name="rate"/> per second; prints progress and a summary.</summary>
    private static async Task<int> SendAsync(string target, string? token, int total, int batch, double rate, string verb,
        Func<Admin.AdminClient, int, int, Metadata, Task<ItemChangeResponse>> call)
    {
        token ??= Environment.GetEnvironmentVariable("KARMA_ADMIN_TOKEN");
        if (string.IsNullOrWhiteSpace(token))
        {
            Console.Error.WriteLine("error: no admin token: pass --token or set KARMA_ADMIN_TOKEN (the service's Karma:AdminToken)");
            return 2;
        }

        if (batch < 1 || rate < 0 || !double.IsFinite(rate))
        {
            Console.Error.WriteLine("error: --batch must be at least 1 and --rate a non-negative number");
            return 2;
        }

        using var channel = GrpcChannel.ForAddress(target);
        var admin = new Admin.AdminClient(channel);
        var headers = new Metadata { { "authorization", "Bearer " + token } };
        var clock = Stopwatch.StartNew();
        var latencies = new List<double>();
        ItemChangeResponse? last = null;
        try
        {
            for (int start = 0; start < total; start += batch)
            {
                int count = Math.Min(batch, total - start);
                if (rate > 0 && TimeSpan.FromSeconds(start / rate) - clock.Elapsed is { } wait && wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                long began = Stopwatch.GetTimestamp();
                last = await call(admin, start, count, headers);
                latencies.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                if (latencies.Count % 10 == 0 || start + count >= total)
                {
                    Console.Error.WriteLine($"[items] {start + count:N0} of {total:N0} {verb} ({(start + count) / clock.Elapsed.TotalSeconds:N0} items/s)");
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is not null)
        {
            Console.Error.WriteLine($"error: cannot reach the service at {target} ({e.Status.DebugException.Message}); is it running there?");
            return 1;
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"error: {e.StatusCode}: {e.Status.Detail}");
            return 1;
        }

        latencies.Sort();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine($"{total:N0} items {verb} in {clock.Elapsed.TotalSeconds:F1} s ({total / clock.Elapsed.TotalSeconds:N0} items/s), " +
            $"{latencies.Count} calls: p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms, max {latencies[^1]:F1} ms; model {last!.ModelVersion} serves {last.ServedItems:N0} items, " +
            $"item log at {last.Position}");
        return 0;
    }
}
