using System.CommandLine;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using Karma.Serving.Contracts.V1;
using Spectre.Console;

namespace Karma.Cli.Commands;

/// <summary><c>karma client encode|recall|search|explain</c>: call a running service and print a readable table.</summary>
internal static class ClientCommands
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "Service address", DefaultValueFactory = _ => "http://localhost:50051" };
        var history = new Option<string?>("--history") { Description = "Comma-separated item ids, most recent last" };
        var query = new Option<string?>("--query") { Description = "Query text" };
        var k = new Option<int>("--k") { Description = "Candidates to recall (recall: default 100; search: recall_k, default the server's)" };
        var topN = new Option<int>("--top-n") { Description = "Results to show (search)", DefaultValueFactory = _ => 10 };
        var deadline = new Option<double>("--deadline-ms") { Description = "Call deadline", DefaultValueFactory = _ => 5000 };
        var items = new Option<string?>("--items") { Description = "Comma-separated item ids to explain (explain; default: Search's top-n)" };

        Command Make(string name, string description, Func<Retrieval.RetrievalClient, UserContext, int, int, DateTime, string[], Task> call)
        {
            var cmd = new Command(name, description) { target, history, query, k, topN, deadline };
            if (name == "explain")
            {
                cmd.Options.Add(items);
            }

            cmd.SetAction(async parse =>
            {
                var context = new UserContext { Query = parse.GetValue(query) ?? string.Empty };
                context.HistoryItemIds.AddRange((parse.GetValue(history) ?? string.Empty)
                    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                using var channel = GrpcChannel.ForAddress(parse.GetValue(target)!);
                try
                {
                    await call(new Retrieval.RetrievalClient(channel), context, parse.GetValue(k), parse.GetValue(topN),
                        DateTime.UtcNow.AddMilliseconds(parse.GetValue(deadline)),
                        (parse.GetValue(items) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    return 0;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is not null)
                {
                    // No connection at all (grpc-dotnet says only "Error connecting to subchannel."): name the address.
                    Console.Error.WriteLine($"error: cannot reach the service at {parse.GetValue(target)} ({e.Status.DebugException.Message}); " +
                        "is it running there? Start it with `dotnet run --project src/Karma.Serving -c Release`, or pass --target");
                    return 1;
                }
                catch (RpcException e)
                {
                    Console.Error.WriteLine($"error: {e.StatusCode}: {e.Status.Detail}");
                    return 1;
                }
            });
            return cmd;
        }

        return new Command("client", "Call a running karma service")
        {
            Make("encode", "Interest embedding of a context", async (c, ctx, _, _, d, _) =>
            {
                var r = await c.EncodeAsync(new EncodeRequest { Context = ctx }, deadline: d);
                Console.WriteLine($"model {r.ModelVersion}; {Report(r.ContextReport)}");
                Console.WriteLine(string.Join(' ', r.Embedding.Values.Select(v => v.ToString("F4", CultureInfo.InvariantCulture))));
            }),
            Make("recall", "Top-k items of the embedding channel (inner product with the interest embedding)", async (c, ctx, kk, _, d, _) =>
            {
                kk = kk == 0 ? 100 : kk;
                var r = await c.RecallAsync(new RecallRequest { Context = ctx, K = kk }, deadline: d);
                Print($"recall k={kk} ({r.Index}), model {r.ModelVersion}; {Report(r.ContextReport)}", r.Items.Take(50), "inner product");
            }),
            Make("search", "Hybrid recall (embedding, BM25, intent category) then pre-rank; --k is recall_k", async (c, ctx, kk, n, d, _) =>
            {
                var r = await c.SearchAsync(new SearchRequest { Context = ctx, RecallK = kk, TopN = n }, deadline: d);
                string channels = string.Join(", ", r.RecalledByChannel.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"));
                Print($"search: recalled {r.Recalled} ({channels}; {r.Index} index), top {r.Items.Count}, model {r.ModelVersion}; {Report(r.ContextReport)}",
                    r.Items, "pre-rank score");
            }),
            Make("explain", "What the interest decodes to, and why items score as they do (--items, or Search's top-n)", async (c, ctx, kk, n, d, explainItems) =>
            {
                if (explainItems.Length > 0)
                {
                    var request = new ExplainRequest { Context = ctx };
                    request.ItemIds.AddRange(explainItems);
                    var r = await c.ExplainAsync(request, deadline: d);
                    Console.WriteLine($"model {r.ModelVersion}; {Report(r.ContextReport)}; unknown items {r.UnknownItems}");
                    PrintExplanation(r.Explanation);
                }
                else
                {
                    var r = await c.SearchAsync(new SearchRequest { Context = ctx, RecallK = kk, TopN = n, Explain = true }, deadline: d);
                    Console.WriteLine($"search top {r.Items.Count}, model {r.ModelVersion}; {Report(r.ContextReport)}");
                    PrintExplanation(r.Explanation);
                }
            }),
        };
    }

    private static void PrintExplanation(Explanation e)
    {
        Console.WriteLine($"decodes to: {e.Text}");
        Console.WriteLine("words: " + string.Join(", ", e.Words.Select(w => $"{w.Word} {w.Probability.ToString("F3", CultureInfo.InvariantCulture)}")));
        if (e.Items.Count == 0)
        {
            return;
        }

        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        }

        var table = new Table().AddColumn("item").AddColumn("title").AddColumn("shared words")
            .AddColumn(new TableColumn("karma").RightAligned()).AddColumn(new TableColumn("bm25").RightAligned())
            .AddColumn(new TableColumn("p(category)").RightAligned()).AddColumn(new TableColumn("pre-rank").RightAligned());
        foreach (var item in e.Items)
        {
            table.AddRow(Markup.Escape(item.ItemId), Markup.Escape(item.Title), Markup.Escape(string.Join(' ', item.SharedWords)),
                item.KarmaScore.ToString("F3", CultureInfo.InvariantCulture), item.LexicalScore.ToString("F2", CultureInfo.InvariantCulture),
                item.CategoryProbability.ToString("F3", CultureInfo.InvariantCulture), item.PrerankScore.ToString("F3", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
    }

    private static string Report(ContextReport r) =>
        $"history unknown {r.UnknownHistoryItems}, truncated {r.TruncatedHistoryItems}; query tokens {r.QueryTokens}{(r.QueryTruncated ? " (cut)" : string.Empty)}";

    private static void Print(string title, IEnumerable<ScoredItem> items, string scoreLabel)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 140); // a pipe or file has no width: do not wrap titles at 80
        }

        var table = new Table().Title(Markup.Escape(title)).AddColumn("#").AddColumn("item").AddColumn("title").AddColumn("category")
            .AddColumn("recalled by").AddColumn(new TableColumn(Markup.Escape(scoreLabel)).RightAligned());
        int i = 1;
        foreach (var item in items)
        {
            table.AddRow((i++).ToString(CultureInfo.InvariantCulture), Markup.Escape(item.ItemId), Markup.Escape(item.Title),
                Markup.Escape(item.Category), Markup.Escape(string.Join("+", item.Channels.Select(ChannelName))),
                item.Score.ToString("F4", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
    }

    private static string ChannelName(RecallChannel channel) => channel switch
    {
        RecallChannel.Karma => "karma",
        RecallChannel.Lexical => "lexical",
        RecallChannel.Category => "category",
        _ => ((int)channel).ToString(CultureInfo.InvariantCulture),
    };
}
