using System.Globalization;
using System.Text;

namespace Karma.Cli.Tests;

/// <summary>
/// The whole offline pipeline through the real command on data that our generator did not write: no
/// image features, no request ids, columns in another order, quoted queries with commas.
/// </summary>
public sealed class ExternalDataTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-ext-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Colors = ["red", "blue", "green", "black"];
    private static readonly string[] Kinds = ["shoe", "bag", "lamp", "mug", "shirt", "chair"];

    private string WriteData()
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        var items = new StringBuilder();
        var ids = new List<(string Id, string Kind)>();
        int n = 0;
        foreach (string kind in Kinds)
        {
            foreach (string color in Colors)
            {
                for (int v = 0; v < 3; v++)
                {
                    string id = $"sku-{n++}";
                    ids.Add((id, kind));
                    // Keys in a different order than ours, no image_embedding, some without price.
                    items.Append(CultureInfo.InvariantCulture, $$"""{"category":"home/{{kind}}s","title":"{{color}} {{kind}} model {{v}}","item_id":"{{id}}"{{(v == 0 ? "" : ",\"price\":" + (v * 10))}}}""").Append('\n');
                }
            }
        }

        File.WriteAllText(Path.Combine(data, "items.jsonl"), items.ToString());
        var rng = new Random(5);
        var events = new StringBuilder("timestamp,action,user_id,item_id,request_id,query\n");
        for (int u = 0; u < 40; u++)
        {
            string kind = Kinds[u % Kinds.Length];
            var mine = ids.Where(i => i.Kind == kind).ToList();
            for (int r = 0; r < 5; r++)
            {
                long ts = 1_700_000_000 + u * 1000 + r * 10;
                var clicked = mine[rng.Next(mine.Count)];
                string query = r % 2 == 0 ? $"\"{kind}, cheap\"" : "";
                foreach (var shown in ids.OrderBy(_ => rng.Next()).Take(5).Append(clicked).Distinct())
                {
                    events.Append(CultureInfo.InvariantCulture, $"{ts},impression,user{u},{shown.Id},,{query}\n");
                }

                events.Append(CultureInfo.InvariantCulture, $"{ts},click,user{u},{clicked.Id},,{query}\n");
            }
        }

        File.WriteAllText(Path.Combine(data, "events.csv"), events.ToString());
        return data;
    }

    [Fact]
    public void PretrainAlignEval_RunOnForeignData()
    {
        string data = WriteData();
        string config = RepositoryPaths.Config("tiny");
        Ok(KarmaProcess.Run("data", "validate", data));
        Ok(KarmaProcess.Run("train", "pretrain", "--data", data, "--out", Path.Combine(_dir, "pre"), "--config", config, "--steps", "30"));
        Ok(KarmaProcess.Run("train", "align", "--data", data, "--from", Path.Combine(_dir, "pre"), "--out", Path.Combine(_dir, "al"),
            "--config", config, "--steps", "30", "--objective", "karma-img"));
        var eval = KarmaProcess.Run("eval", "--checkpoint", Path.Combine(_dir, "al"), "--data", data);
        Ok(eval);
        Assert.Contains("HR@50", eval.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "al", "metrics.json")));
    }

    [Fact]
    public void Align_FromMissingCheckpoint_FailsWithClearMessage()
    {
        string data = WriteData();
        var r = KarmaProcess.Run("train", "align", "--data", data, "--from", Path.Combine(_dir, "none"), "--out", Path.Combine(_dir, "al"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("is not a checkpoint", r.Error, StringComparison.Ordinal);
    }

    private static void Ok(KarmaProcess.Result r) => Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.Output}\n{r.Error}");
}
