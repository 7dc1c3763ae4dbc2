package io.npmgateway.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.npmgateway.config.ServerConfig;
import io.npmgateway.npm.RequestPathParser;
import io.npmgateway.packument.PackumentService;
import io.npmgateway.tarball.TarballService;
import java.net.BindException;
import java.net.InetSocketAddress;

/**
 * The listening socket: binds, builds each connection's pipeline with {@link GatewayPipeline}, and stops
 * accepting on close. The event loops belong to the caller, which shares them with the upstream client.
 */
public final class GatewayServer implements AutoCloseable {
    private final Channel serverChannel;

    private GatewayServer(Channel serverChannel) {
        this.serverChannel = serverChannel;
    }

    /**
     * Binds and starts accepting.
     *
     * @throws ServerStartException with a message fit for the operator when the address cannot be bound
     */
    public static GatewayServer start(ServerConfig config, String basePath, EventLoopGroup bossGroup,
            EventLoopGroup workerGroup, Class<? extends ServerChannel> channelType, PackumentService packuments,
            TarballService tarballs) {
        Routes routes = new Routes(new PackumentRoutes(packuments), new TarballRoute(tarballs));
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new GatewayPipeline(config, new RequestPathParser(basePath), routes));
        try {
            Channel channel = bootstrap.bind(config.bind(), config.port()).syncUninterruptibly().channel();
            return new GatewayServer(channel);
        } catch (Exception e) {
            String where = config.bind() + ":" + config.port();
            if (e instanceof BindException || e.getCause() instanceof BindException
                    || String.valueOf(e.getMessage()).contains("Address already in use")) {
                throw new ServerStartException("cannot listen on " + where + ": the port is already in use "
                        + "(choose another with --port)");
            }
            throw new ServerStartException("cannot listen on " + where + ": " + e.getMessage());
        }
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** Stops accepting new connections; connections already open finish their current responses. */
    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
    }

    /** The server could not start; the message says why in the operator's terms. */
    public static final class ServerStartException extends RuntimeException {
        public ServerStartException(String message) {
            super(message);
        }
    }
}
