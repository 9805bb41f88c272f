using IncusBackup.Incus;
using Xunit;

namespace IncusBackup.Tests.Fakes;

/// <summary>The fake HTTP server itself: a failing handler must fail the test, not hang it.</summary>
public sealed class FakeIncusServerSelfTests
{
    [Fact]
    public async Task AFailingHandler_AnswersTheClient_AndFailsTheTestOnDispose()
    {
        var server = new FakeIncusServer();
        server.Handlers.Add((_, _) => throw new InvalidProgramException("assertion inside a handler"));
        using var client = IncusConnection.Open(new IncusConnectionOptions { HttpAddress = server.BaseAddress });

        var answer = await Assert.ThrowsAsync<IncusApiException>(() => client.GetServerAsync(CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(500, answer.StatusCode);
        var failure = Assert.Throws<AggregateException>(server.Dispose);
        Assert.IsType<InvalidProgramException>(Assert.Single(failure.InnerExceptions));
    }
}
