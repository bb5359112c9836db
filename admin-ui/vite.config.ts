/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The app is served by the Go binary at /admin (server/httpserver/adminui.go)
// under a CSP that allows only 'self' scripts and styles: no inline code.
export default defineConfig({
  base: '/admin/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Inlined assets would become data: URIs; keep fonts/images as files.
    assetsInlineLimit: 0,
    // Modern browsers only: no module-preload polyfill in the bundle.
    modulePreload: { polyfill: false },
    target: 'es2022',
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` proxies the API to a running portico (make run).
    proxy: {
      '/support': process.env.PORTICO_DEV_API ?? 'http://localhost:8080',
      '/portal': process.env.PORTICO_DEV_API ?? 'http://localhost:8080',
    },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
})
