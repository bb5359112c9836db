// App-wide state: who is signed in and what the server says about itself.
import { ref } from 'vue'
import type { Me, ServerInfo } from './api'

export const me = ref<Me | null>(null)
export const info = ref<ServerInfo>({
  base_url: location.origin,
  github_repository: '',
  github_web_url: 'https://github.com',
  version: '',
})
