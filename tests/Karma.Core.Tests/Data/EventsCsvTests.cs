using Karma.Core.Data;

namespace Karma.Core.Tests.Data;

public sealed class EventsCsvTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-events-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteFile(string text)
    {
        string path = Path.Combine(_dir, "events.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("a,b,c", new[] { "a", "b", "c" })]
    [InlineData("a,,c", new[] { "a", "", "c" })]
    [InlineData("\"x,y\",\"he said \"\"hi\"\"\",", new[] { "x,y", "he said \"hi\"", "" })]
    [InlineData("", new[] { "" })]
    public void TrySplit_ParsesRfc4180(string line, string[] expected)
    {
        var fields = new List<string>();
        Assert.True(EventsCsv.TrySplit(line, fields, out _));
        Assert.Equal(expected, fields);
    }

    [Theory]
    [InlineData("\"open", "unterminated")]
    [InlineData("a\"b,c", "stray quote")]
    [InlineData("\"a\"b,c", "after a closing quote")]
    public void TrySplit_RejectsMalformedQuoting(string line, string reason)
    {
        Assert.False(EventsCsv.TrySplit(line, [], out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("u1,i1,100,like,,", "unknown action 'like'")]
    [InlineData("u1,i1,yesterday,click,,", "timestamp 'yesterday'")]
    [InlineData("u1,i1,-5,click,,", "timestamp '-5'")]
    [InlineData("u1,i9,100,click,,", "item_id 'i9' is not in items.jsonl")]
    [InlineData("u1,i1,100,click", "expected 6 columns, found 4")]
    [InlineData(",i1,100,click,,", "user_id is empty")]
    public void Read_BadRow_NamesFileLineAndReason(string row, string reason)
    {
        string path = WriteFile("user_id,item_id,timestamp,action,query,request_id\nu1,i1,99,impression,shoes,r1\n" + row + "\n");
        var known = new HashSet<string> { "i1" };
        var error = Assert.Throws<DataFormatException>(() => EventsCsv.Read(path, BadRowPolicy.Fail, new BadRowReport(), known).ToList());
        Assert.Equal(3, error.Line);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.StartsWith(path + ":3:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SkipBad_CountsAndKeepsGoodRows()
    {
        string path = WriteFile("user_id,item_id,timestamp,action,query,request_id\nu1,i1,1,click,q,r\nu1,i1,x,click,q,r\nu2,i1,2,bogus,,\nu2,i1,3,purchase,,\n");
        var report = new BadRowReport();
        var events = EventsCsv.Read(path, BadRowPolicy.Skip, report, new HashSet<string> { "i1" }).ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(2, report.Count);
        Assert.Equal([3L, 4L], report.Examples.Select(e => e.Line));
    }

    [Fact]
    public void Read_MissingHeaderColumn_Fails()
    {
        string path = WriteFile("user_id,item_id,timestamp,action,query\nu1,i1,1,click,q\n");
        var error = Assert.Throws<DataFormatException>(() => EventsCsv.Read(path, BadRowPolicy.Skip, new BadRowReport()).ToList());
        Assert.Contains("request_id", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteThenRead_RoundTripsQuotedText()
    {
        var events = new[]
        {
            new SearchEvent("u,1", "i\"1", 5, UserAction.Cart, "red, \"cheap\" shoes", null),
            new SearchEvent("u2", "i2", 6, UserAction.Impression, null, "r-7"),
        };
        string path = Path.Combine(_dir, "rt.csv");
        EventsCsv.Write(path, events);
        var back = EventsCsv.Read(path, BadRowPolicy.Fail, new BadRowReport()).ToList();
        Assert.Equal(events, back);
    }
}
